/** Creating a post-processing job on the memory doc, atomically with the checks that may refuse it; reading it. */
import { FieldValue, type DocumentData } from "firebase-admin/firestore";
import type { Config } from "../config.js";
import { permanent } from "../errors.js";
import { POSTPROCESSING_MODEL, postprocessingSchema, type JobAudio, type Postprocessing } from "../model/job.js";
import { db } from "./firebase.js";
import { memoryPath, userPath } from "./paths.js";
import { countNewJob, readUsage } from "./usage.js";
import { grantOf, type AudioStorageGrant } from "./users.js";

/**
 * The memory's job, validated; undefined when the memory has none. A malformed one is a permanent error: no retry
 * would make it readable.
 */
export function readPostprocessing(memory: DocumentData | undefined): Postprocessing | undefined {
  if (memory?.postprocessing === undefined) return undefined;
  const parsed = postprocessingSchema.safeParse(memory.postprocessing);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".")}: ${i.message}`)
    .join("; ");
  throw permanent("malformed_job", `The memory's postprocessing field is malformed (${issues}).`);
}

export type JobRefusalCode =
  | "memory_not_found"
  | "memory_deleted"
  | "memory_discarded"
  | "job_in_progress"
  | "already_post_processed"
  | "stage_not_rerunnable"
  | "nothing_to_rerun"
  | "artifacts_expired"
  | "no_transcript"
  | "fair_use_exceeded"
  | "rerun_rate_limited";
export interface JobRefusal {
  code: JobRefusalCode;
  message: string;
  /** More fields for the answer (which window, its limit, when it frees up). */
  details?: Record<string, unknown>;
  /** When trying again may succeed (ISO), for Retry-After. */
  retryAt?: string;
}

/** A refusal as an error, so it can leave a transaction; http/ maps its code to a status. */
export class JobRefusedError extends Error {
  constructor(readonly refusal: JobRefusal) {
    super(refusal.message);
  }
}

/**
 * Why a memory cannot start a new job now, or null. Pure, so every rule is unit-tested. Reads the old job leniently:
 * whatever shape it has, only its status and age matter here.
 * A completed memory is not post-processed again (its transcript was already replaced; the app never asks twice);
 * a failed or canceled one can be retried; an in-progress job blocks until it ends or goes stale.
 */
export function refusalForNewJob(memory: DocumentData | undefined, now: Date, staleAfterMs: number): JobRefusal | null {
  const busy = refusalForAnyJob(memory, now, staleAfterMs);
  if (busy) return busy;
  const pp = (memory!.postprocessing ?? {}) as { status?: unknown };
  if (pp.status === "completed")
    return { code: "already_post_processed", message: "The memory was already post-processed." };
  return null;
}

/** The memory is missing, deleted or discarded, or a live job is running on it. */
export function refusalForAnyJob(memory: DocumentData | undefined, now: Date, staleAfterMs: number): JobRefusal | null {
  if (!memory) return { code: "memory_not_found", message: "No memory with this id belongs to the caller." };
  if (memory.deleted === true) return { code: "memory_deleted", message: "The memory was deleted." };
  if (memory.discarded === true) return { code: "memory_discarded", message: "The memory was discarded." };
  const pp = (memory.postprocessing ?? {}) as { status?: unknown; updated_at?: unknown; job_id?: unknown };
  if (pp.status === "in_progress") {
    const updatedAt = Date.parse(typeof pp.updated_at === "string" ? pp.updated_at : "");
    const stale = Number.isFinite(updatedAt) && now.getTime() - updatedAt > staleAfterMs;
    if (!stale) {
      return {
        code: "job_in_progress",
        message: `Post-processing job ${String(pp.job_id)} is already in progress for this memory.`,
      };
    }
  }
  return null;
}

export function newJobId(): string {
  return db().collection("_").doc().id;
}

export interface NewJob {
  uid: string;
  memoryId: string;
  jobId: string;
  /** The upload flags optional stages need (pipeline/definition.ts `onlyWith`). */
  flags: Record<string, boolean>;
  audio: JobAudio;
  phase: "uploading" | "awaiting_upload";
  now: Date;
  staleAfterMs: number;
  /** What fair use counts for the job: its audio seconds as far as known at upload (0: not yet), and the caps. */
  usage: { seconds: number; caps: Config["fairUse"] };
}

export interface CreatedJob {
  memory: DocumentData;
  /** Whether the user allowed audio storage when the job was created, and under which revocation count. */
  grant: AudioStorageGrant;
  /** Whether this upload is to be kept in the recordings bucket (written by the API now, or by prepare_audio). */
  keepRecording: boolean;
  /** The memory's kept recording from an earlier job, if any (replaced once this upload is safely kept). */
  previousRecording: string | null;
  /** The memory's job before this one, as stored (any shape), to put back if the upload fails. */
  previous: unknown;
}

/**
 * The new job's state. `recordingObject`: what the memory's kept recording is while the job runs: the new upload's
 * name when the API writes it now (multipart, storage allowed), else whatever an earlier job kept (so that object
 * keeps its reference until a new one replaces it).
 */
export function buildPostprocessing(job: NewJob, recordingObject: string | null): Postprocessing {
  const now = job.now.toISOString();
  return {
    status: "in_progress",
    model: POSTPROCESSING_MODEL,
    fail_reason: null,
    job_id: job.jobId,
    phase: job.phase,
    flags: job.flags,
    created_at: now,
    updated_at: now,
    audio: { ...job.audio, recording_object: recordingObject },
    // Set true once a memory flagged deleted has had its data erased (store/erasure.ts); the re-drive looks for false.
    erased: false,
    stages: {
      prepare_audio: { state: "pending", attempts: 0, lease_expires_at: null, last_error: null, idempotency_key: null },
    },
  };
}

const keptRecordingOf = (pp: unknown): string | null => {
  const name = (pp as { audio?: { recording_object?: unknown } } | undefined)?.audio?.recording_object;
  return typeof name === "string" && name ? name : null;
};

/** Re-checks the memory and creates the job in one transaction, so two concurrent uploads cannot both start. */
export async function createJob(job: NewJob): Promise<CreatedJob> {
  const memoryRef = db().doc(memoryPath(job.uid, job.memoryId));
  const userRef = db().doc(userPath(job.uid));
  return db().runTransaction(async (tx) => {
    const [memorySnap, userSnap, usage] = await Promise.all([
      tx.get(memoryRef),
      tx.get(userRef),
      readUsage(tx, job.uid),
    ]);
    const refusal = refusalForNewJob(memorySnap.data(), job.now, job.staleAfterMs);
    if (refusal) throw new JobRefusedError(refusal);
    const overUse = countNewJob(
      tx,
      usage,
      job,
      { seconds: job.usage.seconds, kind: "upload", exact: false },
      job.now,
      job.usage.caps,
    );
    if (overUse) throw new JobRefusedError(overUse);
    const grant = grantOf(userSnap);
    const previous = (memorySnap.get("postprocessing") as unknown) ?? null;
    const previousRecording = keptRecordingOf(previous);
    const writesNow = grant.allowed && job.audio.uploaded_via === "multipart";
    const postprocessing = buildPostprocessing(job, writesNow ? job.audio.recording_object : previousRecording);
    tx.update(memoryRef, { postprocessing });
    return {
      memory: { ...memorySnap.data(), postprocessing },
      grant,
      keepRecording: grant.allowed,
      previousRecording,
      previous,
    };
  });
}

/** Puts back the memory's previous post-processing state if `jobId` is still current (used when an upload fails). */
export async function rollbackJob(uid: string, memoryId: string, jobId: string, previous: unknown): Promise<void> {
  const ref = db().doc(memoryPath(uid, memoryId));
  await db().runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    if (snap.get("postprocessing.job_id") !== jobId) return;
    tx.update(ref, { postprocessing: previous ?? FieldValue.delete() });
  });
}
