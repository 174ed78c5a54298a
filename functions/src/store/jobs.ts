/** Creating a post-processing job on the memory doc, atomically with the checks that may refuse it. */
import { FieldValue, type DocumentData } from "firebase-admin/firestore";
import { HttpError } from "../errors.js";
import { POSTPROCESSING_MODEL, TERMINAL_STATUSES, type JobAudio, type Postprocessing } from "../model.js";
import { db } from "../firebase.js";
import { memoryPath, userPath } from "./paths.js";

/**
 * Why a memory cannot start a new job now, or null. Pure, so every rule is unit-tested.
 * A completed memory is not post-processed again (its transcript was already replaced; the app never asks twice);
 * a failed or canceled one can be retried; an in-progress job blocks until it ends or goes stale.
 */
export function refusalForNewJob(memory: DocumentData | undefined, now: Date, staleAfterMs: number): HttpError | null {
  if (!memory) return new HttpError(404, "memory_not_found", "No memory with this id belongs to the caller.");
  if (memory.deleted === true) return new HttpError(422, "memory_deleted", "The memory was deleted.");
  if (memory.discarded === true) return new HttpError(422, "memory_discarded", "The memory was discarded.");
  const pp = memory.postprocessing as Partial<Postprocessing> | undefined;
  if (pp?.status === "in_progress") {
    const updatedAt = Date.parse(pp.updated_at ?? "");
    const stale = Number.isFinite(updatedAt) && now.getTime() - updatedAt > staleAfterMs;
    if (!stale) return new HttpError(409, "job_in_progress", `Post-processing job ${pp.job_id} is already in progress for this memory.`);
  }
  if (pp?.status === "completed") return new HttpError(409, "already_post_processed", "The memory was already post-processed.");
  return null;
}

export function newJobId(): string {
  return db().collection("_").doc().id;
}

export interface NewJob {
  uid: string;
  memoryId: string;
  jobId: string;
  emotionalFeedback: boolean;
  audio: JobAudio;
  phase: "uploading" | "awaiting_upload";
  now: Date;
  staleAfterMs: number;
}

export interface CreatedJob {
  memory: DocumentData;
  keepRecording: boolean;
  previous: Postprocessing | null;
}

export function buildPostprocessing(job: NewJob, keepRecording: boolean): Postprocessing {
  const now = job.now.toISOString();
  return {
    status: "in_progress",
    model: POSTPROCESSING_MODEL,
    fail_reason: null,
    job_id: job.jobId,
    phase: job.phase,
    emotional_feedback: job.emotionalFeedback,
    created_at: now,
    updated_at: now,
    audio: { ...job.audio, recording_object: keepRecording ? job.audio.recording_object : null },
    stages: { prepare_audio: { state: "pending", attempts: 0, lease_expires_at: null, last_error: null, idempotency_key: null } },
  };
}

/** Re-checks the memory and creates the job in one transaction, so two concurrent uploads cannot both start. */
export async function createJob(job: NewJob): Promise<CreatedJob> {
  const memoryRef = db().doc(memoryPath(job.uid, job.memoryId));
  const userRef = db().doc(userPath(job.uid));
  return db().runTransaction(async (tx) => {
    const [memorySnap, userSnap] = await Promise.all([tx.get(memoryRef), tx.get(userRef)]);
    const refusal = refusalForNewJob(memorySnap.data(), job.now, job.staleAfterMs);
    if (refusal) throw refusal;
    const keepRecording = userSnap.get("store_recording_permission") === true;
    const postprocessing = buildPostprocessing(job, keepRecording);
    tx.update(memoryRef, { postprocessing });
    return {
      memory: { ...memorySnap.data(), postprocessing },
      keepRecording,
      previous: (memorySnap.get("postprocessing") as Postprocessing | undefined) ?? null,
    };
  });
}

/** Puts back the memory's previous post-processing state if `jobId` is still current (used when an upload fails). */
export async function rollbackJob(uid: string, memoryId: string, jobId: string, previous: Postprocessing | null): Promise<void> {
  const ref = db().doc(memoryPath(uid, memoryId));
  await db().runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    if (snap.get("postprocessing.job_id") !== jobId) return;
    tx.update(ref, { postprocessing: previous ?? FieldValue.delete() });
  });
}

export const isTerminal = (pp: Partial<Postprocessing> | undefined) =>
  !!pp?.status && TERMINAL_STATUSES.includes(pp.status);
