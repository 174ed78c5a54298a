/**
 * Erasing what this backend holds for a user, or for one memory, when the app deletes it:
 * - a user (Auth account deleted): every object under `{uid}/` in both buckets (kept recordings, processing copies,
 *   voice samples, checkpoints) and the whole `users/{uid}` tree in Firestore (memories with their transcript
 *   versions, people and their voice profiles, the user's own profile, memory vectors, notifications, usage counters,
 *   the kept-audio audit trail);
 * - a memory (`deleted: true`, or its document deleted): its objects under `{uid}/{memoryId}/` in both buckets, its
 *   vector and its transcript versions. A memory flagged deleted keeps its document as the app left it, with the
 *   reference to kept audio cleared.
 * Each erasure is recorded in `erasures/{id}` (no personal content: the ids, counts and times) and is idempotent: run
 * again it deletes whatever is left, so a crash is finished by the next run (the trigger's retry, or the re-drive's
 * finishErasures). Once done it is run once more after a stage lease (`recheck_after`): a stage that was running when
 * the erasure started has ended by then (a lease outlives every function's timeout), and whatever it wrote is gone
 * too. A stage starting after the erasure finds no memory, or a deleted one, and writes nothing.
 */
import type { File } from "@google-cloud/storage";
import { FieldValue } from "firebase-admin/firestore";
import pLimit from "p-limit";
import type { Config } from "../config.js";
import * as logs from "../logs.js";
import { bucket, db } from "./firebase.js";
import { memoryPath, userPath } from "./paths.js";
import { memoryVectorPath } from "./vectors.js";

export type ErasureTarget = { kind: "user"; uid: string } | { kind: "memory"; uid: string; memoryId: string };

export interface ErasureCounts {
  recordingObjects: number;
  processingObjects: number;
  documents: number;
}

export const ERASURES = "erasures";
export const erasureId = (t: ErasureTarget) => (t.kind === "user" ? `user-${t.uid}` : `memory-${t.uid}-${t.memoryId}`);

const PAGE = 500;

/** Deletes every object under `prefix`, page by page (a listing never holds more than a page); returns how many. */
export async function deletePrefix(bucketName: string, prefix: string): Promise<number> {
  const limit = pLimit(16);
  let deleted = 0;
  type Page = { prefix: string; autoPaginate: false; maxResults: number; pageToken?: string };
  let query: Page | null = { prefix, autoPaginate: false, maxResults: PAGE };
  while (query) {
    const [files, next] = (await bucket(bucketName).getFiles(query)) as unknown as [File[], Page | null];
    await Promise.all(
      files.map((f) =>
        limit(async () => {
          await f.delete({ ignoreNotFound: true });
          deleted += 1;
        }),
      ),
    );
    query = next?.pageToken ? { ...query, pageToken: next.pageToken } : null;
  }
  return deleted;
}

/** Deletes a document and everything under it; returns how many documents went. */
async function deleteTree(path: string, kind: "document" | "collection"): Promise<number> {
  let documents = 0;
  const writer = db().bulkWriter();
  writer.onWriteResult(() => {
    documents += 1;
  });
  const ref = kind === "document" ? db().doc(path) : db().collection(path);
  await db().recursiveDelete(ref, writer);
  return documents;
}

async function eraseOnce(config: Pick<Config, "recordingsBucket" | "postprocessingBucket">, t: ErasureTarget) {
  const prefix = t.kind === "user" ? `${t.uid}/` : `${t.uid}/${t.memoryId}/`;
  const [recordingObjects, processingObjects] = await Promise.all([
    deletePrefix(config.recordingsBucket, prefix),
    deletePrefix(config.postprocessingBucket, prefix),
  ]);
  let documents = 0;
  if (t.kind === "user") {
    documents = await deleteTree(userPath(t.uid), "document");
  } else {
    documents += await deleteTree(`${memoryPath(t.uid, t.memoryId)}/transcripts`, "collection");
    const vector = db().doc(memoryVectorPath(t.uid, t.memoryId));
    if ((await vector.get()).exists) {
      await vector.delete();
      documents += 1;
    }
    // A memory flagged deleted keeps its document; it no longer points at audio that is gone.
    const memory = db().doc(memoryPath(t.uid, t.memoryId));
    await db().runTransaction(async (tx) => {
      const snap = await tx.get(memory);
      if (snap.exists && snap.get("postprocessing.audio.recording_object"))
        tx.update(memory, { "postprocessing.audio.recording_object": null });
    });
  }
  return { recordingObjects, processingObjects, documents };
}

export interface ErasureResult extends ErasureCounts {
  pass: number;
}

/**
 * Erases `t` and records it. `pass` counts the runs of this erasure (1 the first, 2 the recheck, more after a crash).
 */
export async function erase(
  config: Pick<Config, "recordingsBucket" | "postprocessingBucket" | "stageLeaseMs">,
  t: ErasureTarget,
  now: Date,
): Promise<ErasureResult> {
  const record = db().collection(ERASURES).doc(erasureId(t));
  const started = await db().runTransaction(async (tx) => {
    const snap = await tx.get(record);
    const pass = Number(snap.get("passes") ?? 0) + 1;
    const requestedAt = String(snap.get("requested_at") ?? now.toISOString());
    tx.set(
      record,
      {
        kind: t.kind,
        uid: t.uid,
        memory_id: t.kind === "memory" ? t.memoryId : null,
        status: "running",
        passes: pass,
        requested_at: requestedAt,
        pass_started_at: now.toISOString(),
      },
      { merge: true },
    );
    return { pass, requestedMs: Date.parse(requestedAt) };
  });
  const counts = await eraseOnce(config, t);
  await record.set(
    {
      status: "done",
      finished_at: new Date().toISOString(),
      // Counted over every pass: what this erasure removed in all.
      counts: {
        recording_objects: FieldValue.increment(counts.recordingObjects),
        processing_objects: FieldValue.increment(counts.processingObjects),
        documents: FieldValue.increment(counts.documents),
      },
      // One more pass once every stage that may have been running at the request has ended (module comment).
      recheck_after:
        now.getTime() < started.requestedMs + config.stageLeaseMs
          ? new Date(started.requestedMs + config.stageLeaseMs).toISOString()
          : null,
    },
    { merge: true },
  );
  return { ...counts, pass: started.pass };
}

/**
 * A memory the app deleted: its data erased, unless its whole account is being erased (then that erasure covers it,
 * and every memory document it deletes would otherwise start one of these).
 */
export async function eraseDeletedMemory(
  config: Pick<Config, "recordingsBucket" | "postprocessingBucket" | "stageLeaseMs">,
  uid: string,
  memoryId: string,
  ctx: { eventId: string; how: "document_deleted" | "flagged_deleted" },
): Promise<ErasureResult | null> {
  const account = await db()
    .collection(ERASURES)
    .doc(erasureId({ kind: "user", uid }))
    .get();
  if (account.exists) return null;
  const target = { kind: "memory" as const, uid, memoryId };
  const result = await erase(config, target, new Date());
  logs.dataErased({ ...target, eventId: ctx.eventId, how: ctx.how }, result);
  return result;
}
