/**
 * The protocol every stage follows (docs/architecture.md "The stage protocol"): claim the stage in a transaction (or
 * skip a duplicate, re-send a lost hand-off, fail a job out of attempts), do the work, finish the stage and hand the
 * job on (or end it), and classify a failure. Stages supply only the work; which stage comes next is the pipeline
 * table's business.
 */
import type { DocumentData } from "firebase-admin/firestore";
import type { Config } from "../config.js";
import { DeadlineReached } from "../errors.js";
import * as logs from "../logs.js";
import type { JobRef, Postprocessing } from "../model/job.js";
import { nextStages, redriveTopicOf, stageDefinition, type StageName } from "./definition.js";
import { crashPoint, InjectedCrash } from "./faults.js";
import { handOff } from "./handOff.js";
import { handleStageFailure } from "./stageFailure.js";
import { logAddedCalls, priceCalls, stageTimeFields, type PricedCall, type UnpricedCall } from "./ledger.js";
import { claimStage, completeStage, endJob, recordUsage, yieldStage, type Completion } from "./stageState.js";
import { readSpeed } from "../store/speedStats.js";
import { publishJobMessage } from "../store/publish.js";

/** What every stage delivery gets from its trigger. */
export interface StageDeps {
  config: Config;
  now: () => Date;
  eventId: string;
  eventTime: Date;
  maxEventAgeMs: number;
  /** When this invocation must stop starting paid requests (its function's timeout, less a margin). */
  deadline: Date;
}

export interface StageWork {
  /** The memory as the claim read it (before the claim's own write), and its validated job. */
  memory: DocumentData;
  pp: Postprocessing;
  idempotencyKey: string;
  log: logs.LogContext;
  /** Which attempt this is (1 for the first). */
  attempt: number;
}

/**
 * How the work went: finished, parked (it recorded its own state and will be driven again), out of time (`continue`:
 * the stage is given back without using an attempt and delivered again, to go on from its checkpoints), or the job
 * ended. Paid provider calls made on the way go to the job's ledger.
 */
export type StageResult =
  | ({ kind: "done"; summary?: Record<string, unknown>; calls?: UnpricedCall[] } & Completion)
  | { kind: "parked"; calls?: UnpricedCall[] }
  | { kind: "continue"; reason: string; calls?: UnpricedCall[] }
  | { kind: "ended"; status: "failed" | "canceled"; reason: string; calls?: UnpricedCall[] };

export interface StageRun {
  job: JobRef;
  stage: StageName;
  idempotencyKey: string;
  deps: StageDeps;
}

/**
 * Marks the stage done and hands the job to the stages that follow it. Used by the runner and by results that arrive
 * later (a provider's webhook). Returns false when this delivery no longer held the stage (nothing written).
 */
export async function finishStage(
  job: JobRef,
  stage: StageName,
  completion: Completion & {
    idempotencyKey: string;
    now: Date;
    summary?: Record<string, unknown>;
    calls?: PricedCall[];
  },
  context: { config: Config; log: logs.LogContext; startedMs: number },
): Promise<boolean> {
  const { config, log } = context;
  const completed = await completeStage(job, stage, {
    ...completion,
    stageLeaseMs: config.stageLeaseMs,
    speed: await readSpeed(),
  });
  if (completed === null) {
    // Another delivery holds the stage now; what this one paid for still goes to the ledger (once).
    logAddedCalls(log, await recordUsage(job, {}, completion.calls ?? []));
    logs.stageSkipped(log, "lost_lease");
    return false;
  }
  logAddedCalls(log, completed.addedCalls);
  if (completed.canceled) {
    logs.jobCanceled(log, completed.canceled);
    return false;
  }
  const { next, jobCompleted } = completed;
  logs.stageDone(log, Date.now() - context.startedMs, completion.summary);
  if (jobCompleted) logs.jobCompleted(log, jobCompleted);
  await crashPoint(config, job, stage, "after_done");
  await handOff(job, stage, next, log, () => crashPoint(config, job, stage, "after_publish"));
  return true;
}

/** Runs `work` if this delivery wins the stage. Returns the code of a permanent failure that ended the job, if any. */
export async function runStage(run: StageRun, work: (w: StageWork) => Promise<StageResult>): Promise<string | null> {
  const { job, stage, idempotencyKey, deps } = run;
  const log = { ...job, stage, eventId: deps.eventId };
  const startedMs = Date.now();
  let claimed = false;
  let crashed = false;
  try {
    const { decision, memory, pp } = await claimStage(job, stage, {
      idempotencyKey,
      now: deps.now(),
      leaseMs: deps.config.stageLeaseMs,
      maxAttempts: deps.config.stageMaxAttempts,
      phase: stageDefinition(stage).phases.running,
      speed: await readSpeed(),
    });
    if (decision.kind === "skip") {
      logs.stageSkipped(log, decision.reason);
      return null;
    }
    if (decision.kind === "cancel") {
      logs.jobCanceled(log, decision.reason);
      return null;
    }
    if (decision.kind === "exhausted") {
      logs.jobFailed(log, `${stage} exhausted ${decision.attempts} attempts`);
      return null;
    }
    if (decision.kind === "republish") {
      await handOff(job, stage, nextStages(stage, pp!), log);
      return null;
    }
    claimed = true;
    logs.stageStarted(log, decision.attempt);
    await crashPoint(deps.config, job, stage, "after_claim");
    let result: StageResult;
    try {
      result = await work({ memory: memory!, pp: pp!, idempotencyKey, log, attempt: decision.attempt });
    } catch (err) {
      if (!(err instanceof DeadlineReached)) throw err;
      result = { kind: "continue", reason: err.message, calls: err.calls as UnpricedCall[] };
    }
    const time = stageTimeFields(stage, Date.now() - startedMs);
    const calls = priceCalls(stage, result.calls ?? [], deps.config.prices);
    if (result.kind === "done") {
      const patch = { ...result.patch, ...time };
      await crashPoint(deps.config, job, stage, "after_work");
      await finishStage(
        job,
        stage,
        { ...result, patch, calls, idempotencyKey, now: deps.now() },
        {
          config: deps.config,
          log,
          startedMs,
        },
      );
      return null;
    }
    logAddedCalls(log, await recordUsage(job, time, calls));
    if (result.kind === "continue") {
      // Out of time, not out of luck: the stage goes back without using an attempt and is delivered again.
      if (await yieldStage(job, stage, idempotencyKey, deps.now())) {
        await publishJobMessage(redriveTopicOf(stage), job);
        logs.stageContinued(log, result.reason);
      }
      return null;
    }
    const fence = { idempotencyKey };
    if (result.kind === "ended" && (await endJob(job, stage, result.status, result.reason, deps.now(), fence))) {
      if (result.status === "failed") logs.jobFailed(log, result.reason);
      else logs.jobCanceled(log, result.reason);
    }
    return null;
  } catch (err) {
    // A simulated crash is a crash: no failure handling, the lease stays until it expires.
    if (err instanceof InjectedCrash) {
      crashed = true;
      throw err;
    }
    // Calls paid for before the failure (an error may carry them) are in the ledger before anything else happens.
    const paid = (err as { calls?: unknown }).calls;
    if (Array.isArray(paid) && paid.length) {
      const priced = priceCalls(stage, paid as UnpricedCall[], deps.config.prices);
      logAddedCalls(log, await recordUsage(job, {}, priced).catch(() => []));
    }
    return handleStageFailure(err, {
      job,
      stage,
      idempotencyKey,
      now: deps.now(),
      eventTime: deps.eventTime,
      maxEventAgeMs: deps.maxEventAgeMs,
      log,
      startedMs,
      claimed,
    });
  } finally {
    // A simulated crash is a dead process: it logs nothing more.
    if (claimed && !crashed) logs.deliveryEnded(log, Date.now() - startedMs);
  }
}
