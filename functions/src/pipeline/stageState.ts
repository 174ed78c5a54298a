/**
 * The per-stage state machine on `memory.postprocessing.stages` (pending → processing (leased) → done | failed),
 * moved only in transactions so duplicate and out-of-order deliveries do each stage's work once. Which stage follows
 * which, and when the job is complete, comes from the pipeline table.
 */
import type { DocumentData, DocumentSnapshot, Transaction } from "firebase-admin/firestore";
import { type JobRef, type Postprocessing, type StageState } from "../model/job.js";
import { db } from "../store/firebase.js";
import { readPostprocessing } from "../store/jobs.js";
import { memoryPath } from "../store/paths.js";
import type { Speed } from "../model/progress.js";
import type { ProviderCall } from "../model/usage.js";
import { allRequiredDone, isRequired, nextStages, optionalOpen, phaseAfter, type StageName } from "./definition.js";
import { newCallFields, type PricedCall } from "./ledger.js";
import { jobProgress } from "./progress.js";

/**
 * How long a finished stage's own delivery has to publish its hand-off before a duplicate (or the re-drive) may
 * re-send it: a minute, or the stage lease when that is shorter.
 */
export const handOffLeaseMs = (stageLeaseMs: number) => Math.min(60_000, stageLeaseMs);

export type ClaimDecision =
  | { kind: "claim"; attempt: number }
  | { kind: "cancel"; reason: string }
  | { kind: "skip"; reason: string }
  | { kind: "republish" }
  | { kind: "exhausted"; attempts: number };

type JobView = Pick<Postprocessing, "status" | "job_id" | "stages">;

/**
 * Whether a job still accepts work for `stage`: the current job, not ended. An optional stage may also finish after
 * the job completed (it runs beside the job and never holds it up).
 */
function refusalToRun(pp: JobView | undefined, jobId: string, stage: StageName): string | null {
  if (!pp || pp.job_id !== jobId) return "job_superseded";
  if (pp.status === "in_progress") return null;
  if (pp.status === "completed" && !isRequired(stage)) return null;
  return `job_${pp.status}`;
}

/** What a delivery of `stage` for `jobId` should do, given the memory's job as it is now. Pure. */
export function decideClaim(
  memory: { postprocessing?: JobView; deleted?: unknown; discarded?: unknown } | undefined,
  jobId: string,
  stage: StageName,
  now: Date,
  maxAttempts: number,
): ClaimDecision {
  if (!memory) return { kind: "skip", reason: "memory_gone" };
  const pp = memory.postprocessing;
  const refusal = refusalToRun(pp, jobId, stage);
  if (refusal) return { kind: "skip", reason: refusal };
  // The user deleted or discarded the memory meanwhile: stop at this stage boundary, keep nothing new.
  const gone = goneReason(memory);
  if (gone) return { kind: "cancel", reason: gone };
  const state = pp!.stages?.[stage];
  // A message that overtook the hand-off queuing its stage (out-of-order or duplicated delivery): the stage's
  // inputs do not exist yet; the real hand-off (or the re-drive) will deliver it again.
  if (!state) return { kind: "skip", reason: "stage_not_queued" };
  if (state.state === "done") {
    if (state.next_published) return { kind: "skip", reason: "stage_done" };
    // Done but not yet marked published: the delivery that finished is probably publishing right now. Only once its
    // hand-off lease has passed is the hand-off taken to be lost and re-sent.
    const inFlight = state.lease_expires_at && Date.parse(state.lease_expires_at) > now.getTime();
    return inFlight ? { kind: "skip", reason: "handoff_in_flight" } : { kind: "republish" };
  }
  if (state.state === "failed") return { kind: "skip", reason: "stage_failed" };
  if (state.state === "skipped") return { kind: "skip", reason: "stage_skipped" };
  if (state?.state === "waiting") return { kind: "skip", reason: "awaiting_provider" };
  if (state?.retry_at && Date.parse(state.retry_at) > now.getTime()) return { kind: "skip", reason: "backing_off" };
  if (state?.state === "processing" && state.lease_expires_at && Date.parse(state.lease_expires_at) > now.getTime()) {
    return { kind: "skip", reason: "stage_leased" };
  }
  const attempts = state?.attempts ?? 0;
  if (attempts >= maxAttempts) return { kind: "exhausted", attempts };
  return { kind: "claim", attempt: attempts + 1 };
}

function goneReason(memory: { deleted?: unknown; discarded?: unknown } | undefined): string | null {
  if (memory?.deleted === true) return "memory_deleted: the memory was deleted while it was being processed";
  if (memory?.discarded === true) return "memory_discarded: the memory was discarded while it was being processed";
  return null;
}

const ref = (job: JobRef) => db().doc(memoryPath(job.uid, job.memoryId));
const stageField = (stage: StageName) => `postprocessing.stages.${stage}`;
const stageFields = (stage: StageName, fields: Partial<StageState>) =>
  Object.fromEntries(Object.entries(fields).map(([key, value]) => [`${stageField(stage)}.${key}`, value]));

/**
 * The fields that end a job (or, for an optional stage, only that stage) as failed or canceled. `stages` are the
 * stage states before the update, to tell whether an optional stage is left open.
 */
function endFields(
  stage: StageName,
  status: "failed" | "canceled",
  reason: string,
  now: Date,
  stages: Postprocessing["stages"],
): Record<string, unknown> {
  const state = status === "failed" ? "failed" : "done";
  const stageEnd = stageFields(stage, {
    state,
    lease_expires_at: null,
    last_error: status === "failed" ? reason : null,
    next_published: true,
  });
  if (!isRequired(stage)) {
    return {
      ...stageEnd,
      "postprocessing.optional_open": optionalOpen({ ...stages, [stage]: { state } }),
      "postprocessing.updated_at": now.toISOString(),
    };
  }
  return {
    ...stageEnd,
    // An ended job ends its optional stages too: they refuse to run for a failed or canceled job.
    "postprocessing.optional_open": false,
    "postprocessing.status": status,
    "postprocessing.fail_reason": reason,
    "postprocessing.phase": status,
    "postprocessing.progress": { phase: status, percent: 100, eta_seconds: 0 },
    "postprocessing.updated_at": now.toISOString(),
  };
}

/**
 * What stops `stage` of a memory that was deleted or discarded: a running job is canceled; a completed job stays
 * completed, and only its optional stage still open stops (skipped, with the reason).
 */
function goneFields(stage: StageName, reason: string, now: Date, pp: JobView): Record<string, unknown> {
  if (pp.status === "completed" && !isRequired(stage)) {
    return {
      ...stageFields(stage, { state: "skipped", skip_reason: reason, lease_expires_at: null, next_published: true }),
      "postprocessing.optional_open": optionalOpen({ ...pp.stages, [stage]: { state: "skipped" } }),
      "postprocessing.updated_at": now.toISOString(),
    };
  }
  return { ...endFields(stage, "canceled", reason, now, pp.stages ?? {}), ...cancelAll(reason, now) };
}

/** A canceled job is over for every stage, the optional ones included. */
const cancelAll = (reason: string, now: Date) => ({
  "postprocessing.status": "canceled",
  "postprocessing.optional_open": false,
  "postprocessing.fail_reason": reason,
  "postprocessing.phase": "canceled",
  "postprocessing.progress": { phase: "canceled", percent: 100, eta_seconds: 0 },
  "postprocessing.updated_at": now.toISOString(),
});

export interface Claim {
  decision: ClaimDecision;
  memory: DocumentData | undefined;
  pp: Postprocessing | undefined;
}

/** Takes the stage's lease if this delivery should do the work; ends the job when attempts are exhausted. */
export async function claimStage(
  job: JobRef,
  stage: StageName,
  opts: { idempotencyKey: string; now: Date; leaseMs: number; maxAttempts: number; phase: string; speed?: Speed },
): Promise<Claim> {
  return db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    const memory = snap.data();
    const pp = readPostprocessing(memory);
    const decision = decideClaim(
      memory && { postprocessing: pp, deleted: memory.deleted, discarded: memory.discarded },
      job.jobId,
      stage,
      opts.now,
      opts.maxAttempts,
    );
    const previous = pp?.stages[stage];
    if (decision.kind === "claim") {
      // Field by field: a stage keeps what earlier deliveries recorded (provider, request id, chunk progress).
      const chunks = previous?.chunks;
      const fraction = chunks ? chunks.done / Math.max(1, chunks.boundaries.length - 1) : 0;
      tx.update(ref(job), {
        ...(isRequired(stage)
          ? {
              "postprocessing.phase": opts.phase,
              "postprocessing.progress": jobProgress({ ...pp!, phase: opts.phase }, opts.speed ?? {}, {
                stage,
                fraction,
              }),
            }
          : {}),
        "postprocessing.updated_at": opts.now.toISOString(),
        ...stageFields(stage, {
          state: "processing",
          attempts: decision.attempt,
          lease_expires_at: new Date(opts.now.getTime() + opts.leaseMs).toISOString(),
          last_error: previous?.last_error ?? null,
          idempotency_key: opts.idempotencyKey,
        }),
      });
    } else if (decision.kind === "cancel") {
      tx.update(ref(job), goneFields(stage, decision.reason, opts.now, pp!));
    } else if (decision.kind === "exhausted") {
      const reason = `${stage} failed after ${decision.attempts} attempts: ${previous?.last_error ?? "unknown error"}`;
      tx.update(ref(job), endFields(stage, "failed", reason, opts.now, pp?.stages ?? {}));
    }
    return { decision, memory, pp };
  });
}

/** Whether `pp` is the running job `jobId` and `stage` is still held by the delivery with `idempotencyKey`. */
function holds(
  pp: Postprocessing | undefined,
  job: JobRef,
  stage: StageName,
  idempotencyKey: string,
): pp is Postprocessing {
  const current = pp?.stages[stage];
  const holding = current?.state === "processing" || current?.state === "waiting";
  return !!pp && !refusalToRun(pp, job.jobId, stage) && holding && current.idempotency_key === idempotencyKey;
}

export interface Completion {
  /** Dotted field paths under the memory. */
  patch?: Record<string, unknown>;
  /** Set when the stage had nothing to do: it ends `skipped` with this reason instead of `done`. */
  skipReason?: string;
  /** More writes in the same transaction; returns further fields for the memory. */
  also?: (tx: Transaction, snap: DocumentSnapshot) => Record<string, unknown>;
}

export interface CompletedStage {
  /** The stages queued after this one. */
  next: StageName[];
  /** Set when this completion completed the job: its end-to-end time and the audio's length. */
  jobCompleted: { durationMs: number; audioSeconds: number | null } | null;
  /** The paid calls this completion added to the ledger (those already there are not added again). */
  addedCalls: ProviderCall[];
  /** Set when the memory was deleted or discarded meanwhile: nothing of the stage's result was written. */
  canceled?: string;
}

/**
 * Marks the stage done with the completion's fields and queues the stages that follow it (from the pipeline table),
 * but only if this delivery still holds the stage. When no required stage is left, the job is completed in the same
 * transaction. Returns the queued stages (and whether the job completed), or null when the delivery no longer held
 * the stage.
 */
export async function completeStage(
  job: JobRef,
  stage: StageName,
  opts: { idempotencyKey: string; now: Date; stageLeaseMs: number; speed?: Speed; calls?: PricedCall[] } & Completion,
): Promise<CompletedStage | null> {
  return db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    const pp = readPostprocessing(snap.data());
    if (!holds(pp, job, stage, opts.idempotencyKey)) return null;
    const ledger = newCallFields(snap, opts.calls ?? []);
    const gone = goneReason(snap.data());
    if (gone) {
      // Deleted or discarded while this stage worked: its result (a new transcript, say) is not written; what it paid
      // for is (a completed job's optional stage ends only itself).
      tx.update(ref(job), { ...ledger.fields, ...goneFields(stage, gone, opts.now, pp) });
      return { next: [], jobCompleted: null, addedCalls: ledger.added, canceled: gone };
    }
    const next = nextStages(stage, pp);
    const now = opts.now.toISOString();
    let jobCompleted: CompletedStage["jobCompleted"] = null;
    const state = opts.skipReason ? ("skipped" as const) : ("done" as const);
    const stages = { ...pp.stages, [stage]: { ...pp.stages[stage]!, state } };
    const update: Record<string, unknown> = {
      ...opts.patch,
      ...ledger.fields,
      ...opts.also?.(tx, snap),
      ...stageFields(stage, {
        state,
        ...(opts.skipReason ? { skip_reason: opts.skipReason } : {}),
        lease_expires_at: next.length
          ? new Date(opts.now.getTime() + handOffLeaseMs(opts.stageLeaseMs)).toISOString()
          : null,
        last_error: null,
        next_published: next.length === 0,
      }),
      "postprocessing.updated_at": now,
    };
    for (const name of next) {
      // A stage that already has state (a repeated completion) keeps it: its request id, lease and progress.
      if (pp.stages[name]) continue;
      const pending: StageState = {
        state: "pending",
        attempts: 0,
        lease_expires_at: null,
        last_error: null,
        idempotency_key: null,
      };
      update[stageField(name)] = pending;
      stages[name] = pending;
    }
    update["postprocessing.optional_open"] = optionalOpen(stages);
    if (isRequired(stage)) {
      const completed = allRequiredDone({ ...pp, stages });
      const phase = phaseAfter(stage, { ...pp, stages });
      update["postprocessing.phase"] = phase;
      update["postprocessing.progress"] = jobProgress(
        { ...pp, stages, phase, status: completed ? "completed" : pp.status },
        opts.speed ?? {},
      );
      if (completed) {
        update["postprocessing.status"] = "completed";
        update["postprocessing.completed_at"] = now;
        jobCompleted = {
          durationMs: opts.now.getTime() - Date.parse(pp.created_at),
          audioSeconds: pp.audio?.duration_s ?? null,
        };
      }
    }
    tx.update(ref(job), update);
    return { next, jobCompleted, addedCalls: ledger.added };
  });
}

/**
 * Sets fields of a stage (and optional other memory fields) if the job still accepts work for the stage and, when
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
    const pp = readPostprocessing(snap.data());
    if (refusalToRun(pp, job.jobId, stage)) return false;
    if (idempotencyKey !== null && pp!.stages[stage]?.idempotency_key !== idempotencyKey) return false;
    tx.update(ref(job), {
      ...extra,
      "postprocessing.updated_at": new Date().toISOString(),
      ...stageFields(stage, fields),
    });
    return true;
  });
}

/** After a failed publish: lets the next delivery (or the re-drive) republish at once instead of after the lease. */
export async function clearHandOffLease(job: JobRef, stage: StageName): Promise<void> {
  await db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    if (snap.get("postprocessing.job_id") !== job.jobId || snap.get(`${stageField(stage)}.state`) !== "done") return;
    tx.update(ref(job), { [`${stageField(stage)}.lease_expires_at`]: null });
  });
}

export async function markNextPublished(job: JobRef, stage: StageName): Promise<void> {
  await db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    if (snap.get("postprocessing.job_id") !== job.jobId) return;
    tx.update(ref(job), { [`${stageField(stage)}.next_published`]: true });
  });
}

/**
 * Gives the stage back after a transient error so a redelivery can take it at once. A stage that is done stays
 * done: only its hand-off can still be missing, and that is repaired by republishing, never by redoing the work.
 */
export async function releaseStage(
  job: JobRef,
  stage: StageName,
  idempotencyKey: string,
  error: string,
): Promise<void> {
  await db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    const current = snap.get(`${stageField(stage)}.idempotency_key`) as unknown;
    const state = snap.get(`${stageField(stage)}.state`) as unknown;
    if (snap.get("postprocessing.job_id") !== job.jobId || current !== idempotencyKey) return;
    if (state !== "processing" && state !== "waiting") return;
    tx.update(ref(job), stageFields(stage, { state: "pending", lease_expires_at: null, last_error: error }));
  });
}

/** What a caller of `endJob` read the stage as, which must still hold when it ends the job. */
export interface StageFence {
  /** The delivery (or provider request) holding the stage. */
  idempotencyKey?: string;
  /** The states it may be in. */
  states?: readonly string[];
  providerRequestId?: string;
}

/** Whether the stage, as it is now, is still what the caller decided on. Pure. */
export function fenceHolds(stage: Partial<StageState> | undefined, fence: StageFence | undefined): boolean {
  if (!fence) return true;
  if (fence.idempotencyKey !== undefined && stage?.idempotency_key !== fence.idempotencyKey) return false;
  if (fence.states && !fence.states.includes(stage?.state ?? "")) return false;
  if (fence.providerRequestId !== undefined && stage?.provider_request_id !== fence.providerRequestId) return false;
  return true;
}

/**
 * Ends the job as failed or canceled with a reason (an optional stage ends only itself), if the job still accepts
 * work for the stage and the stage is still as the caller saw it (`fence`): a decision taken on a stale read (a
 * re-drive's page, a delivery that lost its lease) never ends a stage that has since moved on. The memory's
 * transcript is never touched here. Reads only the job id, status and the stage, so it also ends a job whose
 * document is otherwise malformed.
 */
export async function endJob(
  job: JobRef,
  stage: StageName,
  status: "failed" | "canceled",
  reason: string,
  now: Date,
  fence?: StageFence,
): Promise<boolean> {
  return db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    const jobStatus = snap.get("postprocessing.status") as Postprocessing["status"] | undefined;
    if (snap.get("postprocessing.job_id") !== job.jobId || !jobStatus) return false;
    if (refusalToRun({ status: jobStatus, job_id: job.jobId, stages: {} }, job.jobId, stage)) return false;
    const stages = (snap.get("postprocessing.stages") ?? {}) as Postprocessing["stages"];
    if (!fenceHolds(stages[stage], fence)) return false;
    tx.update(ref(job), endFields(stage, status, reason, now, stages));
    return true;
  });
}

/**
 * Adds ledger fields (wall time) and the paid calls not yet in the ledger to the job, if it is still the memory's job.
 * Returns the calls it added.
 */
export async function recordUsage(
  job: JobRef,
  fields: Record<string, unknown>,
  calls: PricedCall[] = [],
): Promise<ProviderCall[]> {
  return db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    if (snap.get("postprocessing.job_id") !== job.jobId) return [];
    const ledger = newCallFields(snap, calls);
    tx.update(ref(job), { ...fields, ...ledger.fields });
    return ledger.added;
  });
}

/**
 * Gives the stage back without using up an attempt, so the next delivery continues where this one stopped (its time
 * ran out before the next paid request; everything paid for so far is checkpointed). Returns whether it held the
 * stage.
 */
export async function yieldStage(job: JobRef, stage: StageName, idempotencyKey: string, now: Date): Promise<boolean> {
  return db().runTransaction(async (tx) => {
    const snap = await tx.get(ref(job));
    const pp = readPostprocessing(snap.data());
    if (!holds(pp, job, stage, idempotencyKey)) return false;
    const attempts = pp.stages[stage]?.attempts ?? 1;
    tx.update(ref(job), {
      ...stageFields(stage, {
        state: "pending",
        attempts: Math.max(0, attempts - 1),
        lease_expires_at: null,
        idempotency_key: null,
      }),
      "postprocessing.updated_at": now.toISOString(),
    });
    return true;
  });
}
