/** Lazily initialised Admin SDK handles (one app per process; emulator hosts come from the environment). */
import { getApps, initializeApp } from "firebase-admin/app";
import { getAuth } from "firebase-admin/auth";
import { getFirestore, type Firestore } from "firebase-admin/firestore";
import { IdempotencyStrategy, Storage } from "@google-cloud/storage";
import type { PubSub } from "@google-cloud/pubsub";

function app() {
  return getApps()[0] ?? initializeApp();
}

let firestore: Firestore | undefined;
export function db(): Firestore {
  if (!firestore) {
    firestore = getFirestore(app());
    firestore.settings({ ignoreUndefinedProperties: true });
  }
  return firestore;
}

export const auth = () => getAuth(app());
let storage: Storage | undefined;
/**
 * Our own Storage client rather than firebase-admin's: every write the pipeline makes is safe to repeat (new objects
 * carry an `ifGenerationMatch: 0` precondition, derived objects are rewritten with the same content), so transient
 * failures are always retried. (The library's default, "retry only with a precondition", also switches retries off
 * for the whole client the first time an unconditioned `save` runs.)
 */
export function newStorageClient(opts: { apiEndpoint?: string } = {}): Storage {
  const emulator = process.env.FIREBASE_STORAGE_EMULATOR_HOST;
  if (emulator && !process.env.STORAGE_EMULATOR_HOST) process.env.STORAGE_EMULATOR_HOST = `http://${emulator}`;
  return new Storage({
    ...opts,
    retryOptions: {
      autoRetry: true,
      maxRetries: 5,
      retryDelayMultiplier: 2,
      totalTimeout: 120,
      maxRetryDelay: 8,
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
    },
  });
}
export const bucket = (name: string) => (storage ??= newStorageClient()).bucket(name);

let pubsub: Promise<PubSub> | undefined;
/** Loaded on first publish: the client library is large, and a function pays for it only when it hands a job on. */
export function pubsubClient(): Promise<PubSub> {
  pubsub ??= import("@google-cloud/pubsub").then(
    ({ PubSub }) => new PubSub({ projectId: process.env.GCLOUD_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT }),
  );
  return pubsub;
}
