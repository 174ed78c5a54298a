/**
 * What to do with a FAL request's outcome, from the webhook or from polling: only the request recorded on the job
 * counts (a retried submit may have created a second one); repeats after completion are no-ops.
 */
import type { FalClient } from "@fal-ai/client";
import type { Config } from "../config.js";
import { PipelineError } from "../errors.js";
import { db } from "../firebase.js";
import * as logs from "../logs.js";
import type { Postprocessing } from "../model.js";
import { falOutputToTranscript, fetchResult, webhookErrorStatus } from "../providers/transcriber/fal.js";
import { memoryPath } from "../store/paths.js";
import { endJob, updateStage, type JobRef } from "../store/stages.js";
import { isTerminal } from "../store/jobs.js";
import { finishTranscription } from "./finishTranscription.js";

export type FalOutcome = { ok: true; output: unknown | null } | { ok: false; error: string; detail?: unknown };
export type AppliedOutcome = "completed" | "duplicate" | "unknown_job" | "unknown_request" | "not_ready" | "failed" | "retry_scheduled";

/** Backoff before resubmitting after a FAL-side failure: 1, 2, 4 … minutes, at most 30. */
export const retryDelayMs = (attempts: number) => Math.min(30, 2 ** Math.max(0, attempts - 1)) * 60_000;

export async function applyFalOutcome(
  job: JobRef,
  requestId: string,
  outcome: FalOutcome,
  deps: { config: Config; fal: () => FalClient; now: () => Date },
): Promise<AppliedOutcome> {
  const ctx = { ...job, stage: "transcribe" };
  const snap = await db().doc(memoryPath(job.uid, job.memoryId)).get();
  const pp = snap.get("postprocessing") as Postprocessing | undefined;
  const stage = pp?.stages?.transcribe;
  if (!pp || pp.job_id !== job.jobId) return "unknown_job";
  // FAL answered before we stored its request id (the submit call is still returning): ask FAL to retry shortly.
  if (stage?.provider === "fal" && stage.state === "processing" && !stage.provider_request_id) return "not_ready";
  if (stage?.provider_request_id !== requestId) {
    logs.falWebhookIgnored(ctx, requestId, "not the request recorded on the job");
    return stage?.state === "done" ? "duplicate" : "unknown_request";
  }
  if (stage.state !== "waiting" || isTerminal(pp)) return "duplicate";
  const key = `fal:${requestId}`;

  if (!outcome.ok) {
    const status = webhookErrorStatus(outcome.error);
    const detail = JSON.stringify(outcome.detail ?? null).slice(0, 500);
    if (status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429) {
      await endJob(job, "transcribe", "failed", `fal_rejected: ${outcome.error} ${detail}`, deps.now());
      logs.jobFailed(ctx, `fal_rejected: ${outcome.error}`);
      return "failed";
    }
    if (stage.attempts >= deps.config.stageMaxAttempts) {
      await endJob(job, "transcribe", "failed", `fal_unavailable: ${outcome.error} after ${stage.attempts} attempts`, deps.now());
      return "failed";
    }
    // A FAL-side failure: resubmit later (the re-drive in recoverStalledJobs publishes once retry_at has passed).
    await updateStage(job, "transcribe", key, {
      state: "pending", retry_at: new Date(deps.now().getTime() + retryDelayMs(stage.attempts)).toISOString(),
      last_error: `${outcome.error} ${detail}`, provider_request_id: null, idempotency_key: null, lease_expires_at: null,
    }, { "postprocessing.phase": "awaiting_transcription" });
    return "retry_scheduled";
  }

  try {
    const output = outcome.output ?? (await fetchResult(deps.fal(), deps.config.falEndpoint, requestId));
    const transcript = falOutputToTranscript(output, deps.config.falEndpoint);
    const done = await finishTranscription(job, transcript, { config: deps.config, idempotencyKey: key, now: deps.now(), log: ctx });
    return done ? "completed" : "duplicate";
  } catch (err) {
    if (err instanceof PipelineError && !err.retryable) {
      await endJob(job, "transcribe", "failed", `${err.code}: ${err.message}`, deps.now());
      logs.jobFailed(ctx, `${err.code}: ${err.message}`);
      return "failed";
    }
    throw err;
  }
}
