/** Lazily initialised Admin SDK handles (one app per process; emulator hosts come from the environment). */
import { getApps, initializeApp } from "firebase-admin/app";
import { getAuth } from "firebase-admin/auth";
import { getFirestore, type Firestore } from "firebase-admin/firestore";
import { getStorage } from "firebase-admin/storage";
import { PubSub } from "@google-cloud/pubsub";

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
export const bucket = (name: string) => getStorage(app()).bucket(name);

let pubsub: PubSub | undefined;
export function pubsubClient(): PubSub {
  pubsub ??= new PubSub({ projectId: process.env.GCLOUD_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT });
  return pubsub;
}
