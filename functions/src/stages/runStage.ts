/**
 * The protocol every stage follows (README "Job state"): claim the stage in a transaction (or skip a duplicate,
 * re-send a lost hand-off, fail a job out of attempts), do the work, and classify a failure. Stages supply only the
 * work.
 */
import type { DocumentData } from "firebase-admin/firestore";
import type { Config } from "../config.js";
import * as logs from "../logs.js";
import type { StageName } from "../model.js";
import { claimStage, type JobRef } from "../store/stages.js";
import { handOff } from "./handOff.js";
import { handleStageFailure } from "./stageFailure.js";

export interface StageDeps {
  config: Config;
  now: () => Date;
  eventId: string;
  eventTime: Date;
  maxEventAgeMs: number;
}

export interface StageWork {
  /** The memory as the claim read it (before the claim's own write). */
  memory: DocumentData;
  idempotencyKey: string;
  log: logs.LogContext;
  startedMs: number;
}

export interface StageRun {
  job: JobRef;
  stage: StageName;
  idempotencyKey: string;
  /** The job's phase while this stage works. */
  phase: string;
  /** Topics this stage hands off to, for re-sending a hand-off that was lost. */
  nextTopics: (memory: DocumentData) => string[];
  deps: StageDeps;
}

/** Runs `work` if this delivery wins the stage. Returns the code of a permanent failure that ended the job, if any. */
export async function runStage(run: StageRun, work: (w: StageWork) => Promise<void>): Promise<string | null> {
  const { job, stage, idempotencyKey, deps } = run;
  const log = { ...job, stage, eventId: deps.eventId };
  const { decision, memory } = await claimStage(job, stage, {
    idempotencyKey, now: deps.now(), leaseMs: deps.config.stageLeaseMs, maxAttempts: deps.config.stageMaxAttempts, phase: run.phase,
  });
  if (decision.kind === "skip") {
    logs.stageSkipped(log, decision.reason);
    return null;
  }
  if (decision.kind === "exhausted") {
    logs.jobFailed(log, `${stage} exhausted ${decision.attempts} attempts`);
    return null;
  }
  if (decision.kind === "republish") {
    await handOff(job, stage, run.nextTopics(memory!), log);
    return null;
  }

  logs.stageStarted(log, decision.attempt);
  const startedMs = Date.now();
  try {
    await work({ memory: memory!, idempotencyKey, log, startedMs });
    return null;
  } catch (err) {
    return handleStageFailure(err, {
      job, stage, idempotencyKey, now: deps.now(), eventTime: deps.eventTime, maxEventAgeMs: deps.maxEventAgeMs, log, startedMs,
    });
  }
}
