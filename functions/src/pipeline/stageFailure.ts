/**
 * What a stage does when its work throws: permanent errors end the job `failed` with the reason (no retry);
 * transient ones give the stage back and rethrow so the event is redelivered, until the event is too old.
 */
import { PipelineError } from "../errors.js";
import * as logs from "../logs.js";
import type { JobRef } from "../model/job.js";
import type { StageName } from "./definition.js";
import { endJob, releaseStage } from "./stageState.js";

export interface FailureContext {
  job: JobRef;
  stage: StageName;
  idempotencyKey: string;
  now: Date;
  eventTime: Date;
  maxEventAgeMs: number;
  log: logs.LogContext;
  startedMs: number;
  /** Whether this delivery had claimed the stage (else the failure came before any claim: a malformed job). */
  claimed: boolean;
}

/** Returns the permanent error's code when the job was ended; throws (for redelivery) on transient errors. */
export async function handleStageFailure(err: unknown, f: FailureContext): Promise<string> {
  const permanentError = err instanceof PipelineError && !err.retryable ? err : null;
  const tooOld = f.now.getTime() - f.eventTime.getTime() > f.maxEventAgeMs;
  if (permanentError || tooOld) {
    const reason = permanentError
      ? `${permanentError.code}: ${permanentError.message}`
      : `${f.stage} kept failing until its event expired: ${String(err)}`;
    // A delivery that claimed the stage ends the job only while it still holds it: one that lost its lease must not
    // fail the stage's new owner. A failure before any claim (the job could not even be read) ends it regardless.
    const fence = f.claimed ? { idempotencyKey: f.idempotencyKey } : undefined;
    if (await endJob(f.job, f.stage, "failed", reason, f.now, fence)) logs.jobFailed(f.log, reason);
    return permanentError?.code ?? "event_expired";
  }
  logs.stageRetrying(f.log, Date.now() - f.startedMs, err);
  await releaseStage(f.job, f.stage, f.idempotencyKey, String(err));
  throw err;
}
