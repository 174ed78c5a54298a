/**
 * Deleting the audio a user let us keep (`DELETE /v1/users/store-recording-permission`): every object under `{uid}/`
 * in the recordings bucket (uploads `{uid}/{memoryId}/{jobId}.{ext}` and voice samples `{uid}/speech_profiles/…`).
 * The permission is switched off first, so nothing recorded meanwhile is kept; then the objects are deleted page by
 * page; then every reference to audio that is gone is cleared (a memory's `postprocessing.audio.recording_object`, the
 * user's `speech_profile.sample_object`, a person's `samples[].object`), so nothing points at a deleted object;
 * embeddings and profiles stay. Last, an audit entry `users/{uid}/audit/{id}` says what went, when and on whose
 * request.
 * Repeating it is safe: a second run finds nothing to delete and records an entry with 0.
 * The post-processing bucket's copies are not touched: the sweep deletes them once their retention period is over.
 */
import type { File } from "@google-cloud/storage";
import type { DocumentReference, QueryDocumentSnapshot } from "firebase-admin/firestore";
import * as logs from "../logs.js";
import { bucket, db } from "./firebase.js";
import { userObjectPrefix } from "./objectNames.js";
import { auditPath, memoriesPath, peoplePath, userPath } from "./paths.js";
import { setAudioStorage } from "./users.js";

/** The audit entry lists at most this many object names (a Firestore document holds at most 1 MiB); it counts all. */
export const MAX_AUDITED_NAMES = 1000;
export const AUDIT_ACTION_RECORDINGS_DELETED = "recordings_deleted";
const DEFAULT_PAGE_SIZE = 500;
const CONCURRENCY = 16;
const RECORDING_FIELD = "postprocessing.audio.recording_object";

export interface DeleteKeptAudioOptions {
  recordingsBucket: string;
  /** Who asked (a uid) and through what (a route), for the audit entry. */
  by: string;
  via: string;
  now?: () => Date;
  /** Objects listed (and memories read) per page. */
  pageSize?: number;
}

export interface KeptAudioDeletion {
  auditId: string;
  /** `store_recording_permission` before it was switched off. */
  permissionBefore: boolean;
  objectsDeleted: number;
  bytesDeleted: number;
  /** Objects that could not be deleted (they stay, and so do references to them); a later run retries them. */
  objectsFailed: number;
  referencesCleared: { memories: number; voiceSamples: number };
}

export async function deleteKeptAudio(uid: string, opts: DeleteKeptAudioOptions): Promise<KeptAudioDeletion> {
  const started = Date.now();
  const at = (opts.now?.() ?? new Date()).toISOString();
  const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
  // Off first: an upload or enrollment from now on keeps no audio, so the listing below cannot miss any of it.
  const permissionBefore = await setAudioStorage(uid, false);

  const recordings = bucket(opts.recordingsBucket);
  const deleted: string[] = [];
  let bytesDeleted = 0;
  let objectsFailed = 0;
  type Page = { prefix: string; autoPaginate: false; maxResults: number; pageToken?: string };
  let query: Page | null = { prefix: userObjectPrefix(uid), autoPaginate: false, maxResults: pageSize };
  while (query) {
    const [files, next] = (await recordings.getFiles(query)) as unknown as [File[], Page | null];
    const outcomes = await mapLimited(files, (file) => deleteObject(uid, file));
    files.forEach((file, i) => {
      if (outcomes[i] === "deleted") {
        deleted.push(file.name);
        bytesDeleted += Number(file.metadata.size ?? 0);
      }
      if (outcomes[i] === "failed") objectsFailed += 1;
    });
    // The page token continues after the last name listed, so deleting this page does not shift the next one.
    query = next?.pageToken ? { ...query, pageToken: next.pageToken } : null;
  }

  const deletedNames = new Set(deleted);
  // A reference is cleared if its object was deleted now or is missing anyway; one written meanwhile stays.
  const gone = async (name: string) => deletedNames.has(name) || !(await recordings.file(name).exists())[0];
  const referencesCleared = {
    memories: await clearMemoryReferences(uid, gone, at, pageSize),
    voiceSamples: await clearVoiceSampleReferences(uid, gone),
  };

  const audit = db().collection(auditPath(uid)).doc();
  const durationMs = Date.now() - started;
  await audit.set({
    action: AUDIT_ACTION_RECORDINGS_DELETED,
    at,
    by: opts.by,
    via: opts.via,
    outcome: objectsFailed ? "incomplete" : "done",
    bucket: opts.recordingsBucket,
    store_recording_permission: { before: permissionBefore, after: false },
    objects_deleted: deleted.length,
    bytes_deleted: bytesDeleted,
    object_names: deleted.slice(0, MAX_AUDITED_NAMES),
    object_names_omitted: Math.max(0, deleted.length - MAX_AUDITED_NAMES),
    objects_failed: objectsFailed,
    references_cleared: { memories: referencesCleared.memories, voice_samples: referencesCleared.voiceSamples },
    duration_ms: durationMs,
  });
  logs.recordingsDeleted(
    { uid },
    {
      count: deleted.length,
      bytes: bytesDeleted,
      failed: objectsFailed,
      memoriesCleared: referencesCleared.memories,
      voiceSamplesCleared: referencesCleared.voiceSamples,
      auditId: audit.id,
      durationMs,
    },
  );
  return {
    auditId: audit.id,
    permissionBefore,
    objectsDeleted: deleted.length,
    bytesDeleted,
    objectsFailed,
    referencesCleared,
  };
}

async function deleteObject(uid: string, file: File): Promise<"deleted" | "missing" | "failed"> {
  try {
    await file.delete();
    return "deleted";
  } catch (err) {
    // Deleted by someone else since it was listed: not ours to count.
    if ((err as { code?: unknown }).code === 404) return "missing";
    logs.recordingDeleteFailed({ uid }, file.name, err);
    return "failed";
  }
}

/** Memories whose kept recording is gone get `recording_object: null` (the job view: `kept_in_recordings: false`). */
async function clearMemoryReferences(
  uid: string,
  gone: (name: string) => Promise<boolean>,
  at: string,
  pageSize: number,
): Promise<number> {
  const query = db().collection(memoriesPath(uid)).where(RECORDING_FIELD, "!=", null).select(RECORDING_FIELD);
  let cleared = 0;
  let after: QueryDocumentSnapshot | undefined;
  for (;;) {
    const page = await (after ? query.startAfter(after) : query).limit(pageSize).get();
    const outcomes = await mapLimited(page.docs, async (doc) => {
      const name = doc.get(RECORDING_FIELD) as unknown;
      if (typeof name !== "string" || !(await gone(name))) return false;
      return ifFieldStill(doc.ref, RECORDING_FIELD, name, {
        [RECORDING_FIELD]: null,
        "postprocessing.audio.recording_deleted_at": at,
      });
    });
    cleared += outcomes.filter(Boolean).length;
    if (page.size < pageSize) return cleared;
    after = page.docs[page.size - 1];
  }
}

/** The user's `speech_profile.sample_object` and people's `samples[].object` whose audio is gone become null. */
async function clearVoiceSampleReferences(uid: string, gone: (name: string) => Promise<boolean>): Promise<number> {
  let cleared = 0;
  const user = await db().doc(userPath(uid)).get();
  const own = user.get("speech_profile.sample_object") as unknown;
  if (typeof own === "string" && (await gone(own)))
    cleared += Number(
      await ifFieldStill(user.ref, "speech_profile.sample_object", own, { "speech_profile.sample_object": null }),
    );

  for (const person of (await db().collection(peoplePath(uid)).get()).docs) {
    const names = objectsOf(person.get("samples"));
    const goneNames = new Set<string>();
    for (const name of names) if (await gone(name)) goneNames.add(name);
    if (goneNames.size) cleared += await clearPersonSamples(person.ref, goneNames);
  }
  return cleared;
}

const objectsOf = (samples: unknown): string[] =>
  Array.isArray(samples)
    ? samples.flatMap((s: unknown) => {
        const name = (s as { object?: unknown } | null)?.object;
        return typeof name === "string" ? [name] : [];
      })
    : [];

/** In a transaction, so a sample added meanwhile is kept. */
function clearPersonSamples(ref: DocumentReference, goneNames: Set<string>): Promise<number> {
  return db().runTransaction(async (tx) => {
    const samples = (await tx.get(ref)).get("samples") as unknown;
    if (!Array.isArray(samples)) return 0;
    let cleared = 0;
    const updated = samples.map((s: unknown) => {
      const name = (s as { object?: unknown })?.object;
      if (typeof name !== "string" || !goneNames.has(name)) return s;
      cleared += 1;
      return { ...(s as object), object: null };
    });
    if (cleared) tx.update(ref, { samples: updated });
    return cleared;
  });
}

/** Applies `update` only if `field` still holds `value` (an enrollment or job that landed meanwhile is left alone). */
function ifFieldStill(
  ref: DocumentReference,
  field: string,
  value: string,
  update: Record<string, unknown>,
): Promise<boolean> {
  return db().runTransaction(async (tx) => {
    if ((await tx.get(ref)).get(field) !== value) return false;
    tx.update(ref, update);
    return true;
  });
}

/** `fn` over `items`, at most CONCURRENCY at a time, results in order. */
async function mapLimited<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
}
