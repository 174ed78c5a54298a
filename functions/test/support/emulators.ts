/** Helpers for end-to-end tests against the running emulator suite (started by `npm test` via emulators:exec). */
import { randomUUID } from "node:crypto";
import { Timestamp } from "firebase-admin/firestore";
import { auth, bucket, db } from "../../src/store/firebase.js";
import { loadConfig } from "../../src/config.js";
import { memoryPath, userPath } from "../../src/store/paths.js";
import type { RecoveryReport } from "../../src/scheduled/recoverStalledJobs.js";

for (const v of [
  "FIRESTORE_EMULATOR_HOST",
  "FIREBASE_AUTH_EMULATOR_HOST",
  "FIREBASE_STORAGE_EMULATOR_HOST",
  "PUBSUB_EMULATOR_HOST",
]) {
  if (!process.env[v])
    throw new Error(`${v} is not set: run end-to-end tests with \`npm test\` (inside firebase emulators:exec).`);
}
process.env.STORAGE_EMULATOR_HOST ??= `http://${process.env.FIREBASE_STORAGE_EMULATOR_HOST}`;

export const PROJECT_ID = process.env.GCLOUD_PROJECT ?? "demo-memories";
export const config = loadConfig();
export const FUNCTIONS_BASE = `http://127.0.0.1:5001/${PROJECT_ID}/us-central1`;
export const apiUrl = (path: string) => `${FUNCTIONS_BASE}/api${path}`;
export const uploadUrl = (memoryId: string, query = "") =>
  apiUrl(`/v1/memories/${encodeURIComponent(memoryId)}/post-processing${query}`);

export const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export interface TestUser {
  uid: string;
  idToken: string;
}

/** Creates an Auth user and its user doc, and signs in as it through the Auth emulator (a real ID token). */
export async function createUser(opts: { storeRecordings?: boolean; disabled?: boolean } = {}): Promise<TestUser> {
  const uid = uniqueId("user");
  await auth().createUser({ uid, email: `${uid}@example.com`, emailVerified: true });
  await db()
    .doc(userPath(uid))
    .set({ store_recording_permission: opts.storeRecordings ?? false });
  const customToken = await auth().createCustomToken(uid);
  const res = await fetch(
    `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}/identitytoolkit.googleapis.com/v1/accounts:signInWithCustomToken?key=fake-api-key`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: customToken, returnSecureToken: true }),
    },
  );
  const body = (await res.json()) as { idToken?: string };
  if (!body.idToken) throw new Error(`sign-in failed: ${JSON.stringify(body)}`);
  if (opts.disabled) await auth().updateUser(uid, { disabled: true });
  return { uid, idToken: body.idToken };
}

export function streamingTranscript(seconds: number) {
  const segments = [];
  for (let t = 0; t < seconds; t += 5) {
    segments.push({
      text: `words spoken around second ${t}`,
      speaker: "SPEAKER_00",
      speaker_id: 0,
      is_user: false,
      person_id: null,
      start: t,
      end: Math.min(seconds, t + 4.5),
    });
  }
  return segments;
}

/** Creates a memory the way the streaming backend leaves it: a streaming transcript, not yet post-processed. */
export async function createMemory(uid: string, fields: Record<string, unknown> = {}): Promise<string> {
  const memoryId = uniqueId("mem");
  const now = Timestamp.now();
  await db()
    .doc(memoryPath(uid, memoryId))
    .set({
      created_at: now,
      started_at: now,
      finished_at: now,
      source: "friend",
      language: "en",
      structured: {
        title: "Streaming memory",
        overview: "",
        emoji: "🧠",
        category: "other",
        action_items: [],
        events: [],
      },
      transcript_segments: streamingTranscript(8),
      geolocation: null,
      photos: [],
      plugins_results: [],
      external_data: null,
      discarded: false,
      deleted: false,
      ...fields,
    });
  return memoryId;
}

export async function readMemory(uid: string, memoryId: string) {
  return (await db().doc(memoryPath(uid, memoryId)).get()).data();
}

export async function objectNames(bucketName: string, prefix: string): Promise<string[]> {
  const [files] = await bucket(bucketName).getFiles({ prefix });
  return files.map((f) => f.name).sort();
}

export async function postAudio(opts: {
  memoryId: string;
  token?: string;
  file?: Buffer;
  filename?: string;
  fileType?: string;
  field?: string;
  query?: string;
}): Promise<Response> {
  const form = new FormData();
  if (opts.file)
    form.append(
      opts.field ?? "file",
      new Blob([new Uint8Array(opts.file)], { type: opts.fileType ?? "audio/wav" }),
      opts.filename ?? "recording.wav",
    );
  return fetch(uploadUrl(opts.memoryId, opts.query), {
    method: "POST",
    headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
    body: form,
  });
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const cause = last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : "";
  throw new Error(`timed out waiting for ${opts.what ?? "condition"}${cause}`);
}

/** Waits until prepareAudio handed the job on (or the job ended) and returns the memory's postprocessing. */
export async function waitForPreparedOrEnded(uid: string, memoryId: string) {
  return waitFor(
    async () => {
      const pp = (await readMemory(uid, memoryId))?.postprocessing;
      const handedOn = pp?.stages?.prepare_audio?.state === "done" && pp.stages.prepare_audio.next_published === true;
      return pp && (handedOn || ["failed", "canceled", "completed"].includes(pp.status)) ? pp : null;
    },
    { what: `job of ${memoryId} to be prepared` },
  );
}

/** Waits until the transcribe stage is done (or the job ended) and returns the memory's postprocessing. */
export async function waitForTranscribedOrEnded(uid: string, memoryId: string, timeoutMs = 150_000) {
  return waitFor(
    async () => {
      const pp = (await readMemory(uid, memoryId))?.postprocessing;
      const done = pp?.stages?.transcribe?.state === "done" && pp.stages.transcribe.next_published === true;
      return pp && (done || ["failed", "canceled", "completed"].includes(pp.status)) ? pp : null;
    },
    { what: `job of ${memoryId} to be transcribed`, timeoutMs },
  );
}

/** Collects the messages published to `topic` (a subscription of the test's own) for assertions on hand-offs. */
export async function collectMessages(topic: string) {
  const { pubsubClient } = await import("../../src/store/firebase.js");
  const [t] = await (await pubsubClient()).topic(topic).get({ autoCreate: true });
  const [subscription] = await t.createSubscription(uniqueId(`test-${topic}`));
  const messages: Record<string, string>[] = [];
  subscription.on("message", (m) => {
    messages.push(JSON.parse(m.data.toString()));
    m.ack();
  });
  return {
    forJob: (jobId: string) => messages.filter((m) => m.jobId === jobId),
    close: async () => {
      await subscription.close();
      await subscription.delete();
    },
  };
}

/**
 * Runs a scheduled function the way Cloud Scheduler would, through the Functions emulator; `at` is the schedule time
 * Scheduler sends (`X-CloudScheduler-ScheduleTime`), e.g. a run a day from now.
 */
export async function runScheduled(name: string, at?: Date): Promise<void> {
  const res = await fetch(`${FUNCTIONS_BASE}/${name}-0`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-cloudscheduler-jobname": `test-${name}`,
      ...(at ? { "x-cloudscheduler-scheduletime": at.toISOString() } : {}),
    },
    body: "{}",
  });
  if (!res.ok) throw new Error(`${name}: ${res.status} ${await res.text()}`);
}

/**
 * The scheduled re-drive, run in-process as if one stage lease had passed since now. Every stage whose lease has run
 * out (a crash point expires the crashed stage's lease at once: src/pipeline/faults.ts), every pending stage whose
 * message was lost and every backoff that ended is published again. Stages a live delivery still holds are published
 * too, and their claim (which reads the real clock) skips them: exactly what a duplicate delivery does. FAL is polled
 * only past its webhook grace period, which is longer than a lease in every test project.
 */
export async function redriveStalled(): Promise<RecoveryReport> {
  const [{ recoverStalledJobs }, { createFalTranscriber }] = await Promise.all([
    import("../../src/scheduled/recoverStalledJobs.js"),
    import("../../src/providers/transcriber/create.js"),
  ]);
  return recoverStalledJobs({
    config,
    now: new Date(Date.now() + config.stageLeaseMs + 1000),
    transcriber: () => createFalTranscriber(config, "placeholder-not-a-real-key") /* functions/.secret.local */,
  });
}
