/**
 * The end of the `transcribe` stage, whichever adapter produced the words: the words JSON goes to Storage and
 * `postprocessing.transcript` is set as the stage completes. And what to do with a queued provider's outcome (FAL's
 * webhook, or polling): only the request recorded on the job counts (a retried submit may have created a second
 * one), repeats after completion are no-ops, a provider-side failure is resubmitted later with backoff.
 */
import type { Config } from "../config.js";
import { PipelineError } from "../errors.js";
import * as logs from "../logs.js";
import { isTerminal, type JobRef, type JobTranscript } from "../model/job.js";
import type { Transcript } from "../model/transcript.js";
import { priceCalls } from "../pipeline/ledger.js";
import { finishStage, type StageResult } from "../pipeline/runStage.js";
import { endJob, updateStage } from "../pipeline/stageState.js";
import { isRetryableStatus, redactSecrets } from "../providers/httpFailure.js";
import { webhookErrorStatus } from "../providers/transcriber/fal.js";
import type { QueuedTranscriber } from "../providers/transcriber/types.js";
import { db } from "../store/firebase.js";
import { readPostprocessing } from "../store/jobs.js";
import { saveJobJson } from "../store/objects.js";
import { wordsObjectName } from "../store/objectNames.js";
import { memoryPath } from "../store/paths.js";

const STAGE = "transcribe" as const;

/** Saves the transcript's words and returns the stage's completion (the job's transcript summary). */
export async function transcriptionCompletion(
  job: JobRef,
  transcript: Transcript,
  config: Config,
): Promise<StageResult> {
  const name = wordsObjectName(job);
  await saveJobJson(config.postprocessingBucket, name, job, "transcript", transcript);
  const summary: JobTranscript = {
    words_object: name,
    word_count: transcript.words.length,
    speaker_count: new Set(transcript.words.map((w) => w.speaker).filter(Boolean)).size,
    language: transcript.language,
    model: transcript.model,
  };
  return {
    kind: "done",
    patch: { "postprocessing.transcript": summary },
    summary: { wordCount: summary.word_count, speakerCount: summary.speaker_count, model: summary.model },
  };
}

export type QueuedOutcome = { ok: true; output: unknown } | { ok: false; error: string; detail?: unknown };
export type AppliedOutcome =
  "completed" | "duplicate" | "unknown_job" | "unknown_request" | "failed" | "retry_scheduled";

/** Backoff before resubmitting after a provider-side failure: 1, 2, 4 … minutes, at most 30. */
export const retryDelayMs = (attempts: number) => Math.min(30, 2 ** Math.max(0, attempts - 1)) * 60_000;

export async function applyQueuedOutcome(
  job: JobRef,
  requestId: string,
  outcome: QueuedOutcome,
  deps: {
    config: Config;
    transcriber: QueuedTranscriber;
    now: () => Date;
    /** The caller proved the result is for this job (the webhook's per-job token matched). */
    tokenVerified?: boolean;
  },
): Promise<AppliedOutcome> {
  const ctx = { ...job, stage: STAGE };
  const snap = await db().doc(memoryPath(job.uid, job.memoryId)).get();
  const pp = readPostprocessing(snap.data());
  let stage = pp?.stages.transcribe;
  if (!pp || pp.job_id !== job.jobId) return "unknown_job";
  // A result for this job before its request id was stored: the submit call is still returning, or its delivery died
  // before storing it. The token proves it is ours, so the request is adopted; submitting again would pay twice.
  if (deps.tokenVerified && stage?.provider === "fal" && !stage.provider_request_id && stage.state !== "done") {
    if (!(await adoptRequest(job, requestId, deps.now()))) return "duplicate";
    logs.falRequestAdopted(ctx, requestId);
    stage = { ...stage, state: "waiting", provider_request_id: requestId };
  }
  if (stage?.provider_request_id !== requestId) {
    logs.falWebhookIgnored(ctx, requestId, "not the request recorded on the job");
    return stage?.state === "done" ? "duplicate" : "unknown_request";
  }
  if (stage.state !== "waiting" || isTerminal(pp)) return "duplicate";
  const key = `fal:${requestId}`;
  // Whatever ends the job below must still find the stage waiting on this request (another webhook, a poll or a
  // resubmit may have moved it on since the read above).
  const fence = { states: ["waiting"], providerRequestId: requestId };

  if (!outcome.ok) {
    const status = webhookErrorStatus(outcome.error);
    const detail = redactSecrets(JSON.stringify(outcome.detail ?? null)).slice(0, 500);
    if (status !== null && status >= 400 && !isRetryableStatus(status)) {
      if (!(await endJob(job, STAGE, "failed", `fal_rejected: ${outcome.error} ${detail}`, deps.now(), fence)))
        return "duplicate";
      logs.jobFailed(ctx, `fal_rejected: ${outcome.error}`);
      return "failed";
    }
    if (stage.attempts >= deps.config.stageMaxAttempts) {
      const reason = `fal_unavailable: ${outcome.error} after ${stage.attempts} attempts`;
      if (!(await endJob(job, STAGE, "failed", reason, deps.now(), fence))) return "duplicate";
      logs.jobFailed(ctx, reason);
      return "failed";
    }
    // A provider-side failure: resubmit later (the re-drive in recoverStalledJobs publishes once retry_at has passed).
    await updateStage(
      job,
      STAGE,
      key,
      {
        state: "pending",
        retry_at: new Date(deps.now().getTime() + retryDelayMs(stage.attempts)).toISOString(),
        last_error: `${outcome.error} ${detail}`,
        provider_request_id: null,
        submit_started_at: null,
        idempotency_key: null,
        lease_expires_at: null,
      },
      { "postprocessing.phase": "awaiting_transcription" },
    );
    return "retry_scheduled";
  }

  try {
    const transcript = outcome.output
      ? deps.transcriber.toTranscript(outcome.output)
      : await deps.transcriber.result(requestId);
    const completion = await transcriptionCompletion(job, transcript, deps.config);
    if (completion.kind !== "done") return "duplicate";
    const now = deps.now();
    const submittedAt = Date.parse(stage.submitted_at ?? "");
    const fal = {
      provider: "fal" as const,
      kind: "transcription" as const,
      model: deps.transcriber.model,
      request_id: requestId,
      audio_seconds: pp.audio.duration_s ?? 0,
      at: now.toISOString(),
    };
    const patch = {
      ...completion.patch,
      ...(Number.isFinite(submittedAt)
        ? { "postprocessing.usage.stages.transcribe.queue_ms": now.getTime() - submittedAt }
        : {}),
    };
    const calls = priceCalls(STAGE, [fal], deps.config.prices);
    const done = await finishStage(
      job,
      STAGE,
      { ...completion, patch, calls, idempotencyKey: key, now },
      { config: deps.config, log: ctx, startedMs: Date.now() },
    );
    return done ? "completed" : "duplicate";
  } catch (err) {
    if (err instanceof PipelineError && !err.retryable) {
      if (!(await endJob(job, STAGE, "failed", `${err.code}: ${err.message}`, deps.now(), fence))) return "duplicate";
      logs.jobFailed(ctx, `${err.code}: ${err.message}`);
      return "failed";
    }
    throw err;
  }
}

/** Records `requestId` as the job's request if it still has none (the token already proved the result is ours). */
async function adoptRequest(job: JobRef, requestId: string, now: Date): Promise<boolean> {
  const ref = db().doc(memoryPath(job.uid, job.memoryId));
  return db().runTransaction(async (tx) => {
    const pp = readPostprocessing((await tx.get(ref)).data());
    const stage = pp?.stages.transcribe;
    if (
      !pp ||
      pp.job_id !== job.jobId ||
      isTerminal(pp) ||
      !stage ||
      stage.provider_request_id ||
      stage.state === "done"
    ) {
      return false;
    }
    tx.update(ref, {
      "postprocessing.stages.transcribe.state": "waiting",
      "postprocessing.stages.transcribe.provider_request_id": requestId,
      "postprocessing.stages.transcribe.idempotency_key": `fal:${requestId}`,
      "postprocessing.stages.transcribe.submitted_at": stage.submit_started_at ?? now.toISOString(),
      "postprocessing.updated_at": now.toISOString(),
    });
    return true;
  });
}
