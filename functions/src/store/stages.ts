/**
 * The per-stage state machine on `memory.postprocessing.stages` (pending → processing (leased) → done | failed),
 * moved only in transactions so duplicate and out-of-order deliveries do each stage's work once.
 */
import type { DocumentData, DocumentSnapshot, Transaction } from "firebase-admin/firestore";
import { db } from "../firebase.js";
import type { Postprocessing, StageName, StageState } from "../model.js";
import { isTerminal } from "./jobs.js";
import { memoryPath } from "./paths.js";

export interface JobRef {
  uid: string;
  memoryId: string;
  jobId: string;
}

/** How long a finished stage's own delivery has to publish its hand-off before a duplicate may re-send it. */
export const HANDOFF_LEASE_MS = 60_000;

export type ClaimDecision =
  | { kind: "claim"; attempt: number }
  | { kind: "skip"; reason: string }
  | { kind: "republish" }
  | { kind: "exhausted"; attempts: number };

/** What a delivery of `stage` for `jobId` should do, given the memory as it is now. Pure. */
export function decideClaim(memory: DocumentData | undefined, jobId: string, stage: StageName, now: Date, maxAttempts: number): ClaimDecision {
  if (!memory) return { kind: "skip", reason: "memory_gone" };
  const pp = memory.postprocessing as Postprocessing | undefined;
  if (!pp || pp.job_id !== jobId) return { kind: "skip", reason: "job_superseded" };
  if (isTerminal(pp)) return { kind: "skip", reason: `job_${pp.status}` };
  const state = pp.stages?.[stage];
  if (state?.state === "done") {
    if (state.next_published) return { kind: "skip", reason: "stage_done" };
    // Done but not yet marked published: the delivery that finished is probably publishing right now. Only once its
    // hand-off lease has passed is the hand-off taken to be lost and re-sent.
    const inFlight = state.lease_expires_at && Date.parse(state.lease_expires_at) > now.getTime();
    return inFlight ? { kind: "skip", reason: "handoff_in_flight" } : { kind: "republish" };
  }
  if (state?.state === "failed") return { kind: "skip", reason: "stage_failed" };
  if (state?.state === "waiting") return { kind: "skip", reason: "awaiting_provider" };
  if (state?.retry_at && Date.parse(state.retry_at) > now.getTime()) return { kind: "skip", reason: "backing_off" };
  if (state?.state === "processing" && state.lease_expires_at && Date.parse(state.lease_expires_at) > now.getTime()) {
    return { kind: "skip", reason: "stage_leased" };
  }
  const attempts = state?.attempts ?? 0;
  if (attempts >= maxAttempts) return { kind: "exhausted", attempts };
  return { kind: "claim", attempt: attempts + 1 };
}

const ref = (job: JobRef) => db().doc(memoryPath(job.uid, job.memoryId));
const stageField = (stage: StageName) => `postprocessing.stages.${stage}`;

export interface Claim {
  decision: ClaimDecision;
  memory: DocumentData | undefined;
}

/** Takes the stage's lease if this delivery should do the work; ends the job when attempts are exhausted. */
export async function claimStage(
  job: JobRef,
  stage: StageName,
  opts: { idempotencyKey: string; now: Date; leaseMs: number; maxAttempts: number; phase: string },
): Promise<Claim> {
  return db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    const memory = snap.data();
    const decision = decideClaim(memory, job.jobId, stage, opts.now, opts.maxAttempts);
    const previous = (memory?.postprocessing as Postprocessing | undefined)?.stages?.[stage];
    const now = opts.now.toISOString();
    if (decision.kind === "claim") {
      // Field by field: a stage keeps what earlier deliveries recorded (provider, request id, chunk progress).
      const state: Partial<StageState> = {
        state: "processing",
        attempts: decision.attempt,
        lease_expires_at: new Date(opts.now.getTime() + opts.leaseMs).toISOString(),
        last_error: previous?.last_error ?? null,
        idempotency_key: opts.idempotencyKey,
      };
      const update: Record<string, unknown> = { "postprocessing.phase": opts.phase, "postprocessing.updated_at": now };
      for (const [key, value] of Object.entries(state)) update[`${stageField(stage)}.${key}`] = value;
      tx.update(ref(job), update);
    } else if (decision.kind === "exhausted") {
      const reason = `${stage} failed after ${decision.attempts} attempts: ${previous?.last_error ?? "unknown error"}`;
      tx.update(ref(job), {
        "postprocessing.status": "failed",
        "postprocessing.fail_reason": reason,
        "postprocessing.phase": "failed",
        "postprocessing.updated_at": now,
        [`${stageField(stage)}.state`]: "failed",
      });
    }
    return { decision, memory };
  });
}

/**
 * Marks the stage done with `patch` (dotted field paths under the memory) and the next stage pending, but only if
 * this delivery still holds the stage (same idempotency key, job still current and running).
 */
export async function completeStage(
  job: JobRef,
  stage: StageName,
  opts: {
    idempotencyKey: string;
    now: Date;
    phase: string;
    next?: StageName | StageName[];
    patch?: Record<string, unknown>;
    /** More writes in the same transaction; returns further fields for the memory. */
    also?: (tx: Transaction, snap: DocumentSnapshot) => Record<string, unknown>;
  },
): Promise<boolean> {
  return db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    const pp = snap.get("postprocessing") as Postprocessing | undefined;
    const current = pp?.stages?.[stage];
    const holding = current?.state === "processing" || current?.state === "waiting";
    if (!pp || pp.job_id !== job.jobId || isTerminal(pp) || !holding || current?.idempotency_key !== opts.idempotencyKey) {
      return false;
    }
    const next = opts.next === undefined ? [] : [opts.next].flat();
    const update: Record<string, unknown> = {
      ...opts.patch,
      ...opts.also?.(tx, snap),
      [`${stageField(stage)}.state`]: "done",
      [`${stageField(stage)}.lease_expires_at`]: next.length ? new Date(opts.now.getTime() + HANDOFF_LEASE_MS).toISOString() : null,
      [`${stageField(stage)}.last_error`]: null,
      [`${stageField(stage)}.next_published`]: next.length === 0,
      "postprocessing.phase": opts.phase,
      "postprocessing.updated_at": opts.now.toISOString(),
    };
    for (const name of next) {
      update[stageField(name)] = { state: "pending", attempts: 0, lease_expires_at: null, last_error: null, idempotency_key: null };
    }
    tx.update(ref(job), update);
    return true;
  });
}

/**
 * Sets fields of a stage (and optional other memory fields) if the job is still current and running and, when
 * `idempotencyKey` is given, the stage is still held by that delivery. Returns whether it wrote.
 */
export async function updateStage(
  job: JobRef,
  stage: StageName,
  idempotencyKey: string | null,
  fields: Partial<StageState>,
  extra: Record<string, unknown> = {},
): Promise<boolean> {
  return db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    const pp = snap.get("postprocessing") as Postprocessing | undefined;
    if (!pp || pp.job_id !== job.jobId || isTerminal(pp)) return false;
    if (idempotencyKey !== null && pp.stages?.[stage]?.idempotency_key !== idempotencyKey) return false;
    const update: Record<string, unknown> = { ...extra, "postprocessing.updated_at": new Date().toISOString() };
    for (const [key, value] of Object.entries(fields)) update[`${stageField(stage)}.${key}`] = value;
    tx.update(ref(job), update);
    return true;
  });
}

export async function markNextPublished(job: JobRef, stage: StageName): Promise<void> {
  await db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    if (snap.get("postprocessing.job_id") !== job.jobId) return;
    tx.update(ref(job), { [`${stageField(stage)}.next_published`]: true });
  });
}

/** Gives the stage back after a transient error so a redelivery can take it at once. */
export async function releaseStage(job: JobRef, stage: StageName, idempotencyKey: string, error: string): Promise<void> {
  await db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    const current = (snap.get("postprocessing") as Postprocessing | undefined)?.stages?.[stage];
    if (snap.get("postprocessing.job_id") !== job.jobId || current?.idempotency_key !== idempotencyKey) return;
    tx.update(ref(job), {
      [`${stageField(stage)}.state`]: "pending",
      [`${stageField(stage)}.lease_expires_at`]: null,
      [`${stageField(stage)}.last_error`]: error,
    });
  });
}

/** Ends the job as failed or canceled with a reason. The memory's transcript is never touched here. */
export async function endJob(job: JobRef, stage: StageName, status: "failed" | "canceled", reason: string, now: Date): Promise<boolean> {
  return db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    const pp = snap.get("postprocessing") as Postprocessing | undefined;
    if (!pp || pp.job_id !== job.jobId || isTerminal(pp)) return false;
    tx.update(ref(job), {
      "postprocessing.status": status,
      "postprocessing.fail_reason": reason,
      "postprocessing.phase": status,
      "postprocessing.updated_at": now.toISOString(),
      [`${stageField(stage)}.state`]: status === "failed" ? "failed" : "done",
      [`${stageField(stage)}.lease_expires_at`]: null,
      [`${stageField(stage)}.last_error`]: status === "failed" ? reason : null,
    });
    return true;
  });
}
