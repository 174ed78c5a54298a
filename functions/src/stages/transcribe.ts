/**
 * Stage `transcribe`. With a queued provider (FAL): submit with a webhook, record the request id at once, and return
 * (the result arrives at `falWebhook`, or by polling: stages/transcriptionResult.ts). With the chunked offline
 * transcriber: one chunk of at most LOCAL_CHUNK_SECONDS per delivery, re-publishing for the next chunk, then
 * diarize the whole recording and finish.
 */
import { createHmac } from "node:crypto";
import { permanent, PipelineError } from "../errors.js";
import * as logs from "../logs.js";
import type { JobMessage, JobRef, Postprocessing } from "../model/job.js";
import type { Transcript } from "../model/transcript.js";
import { topicOf } from "../pipeline/definition.js";
import { crashPoint } from "../pipeline/faults.js";
import { jobProgress } from "../pipeline/progress.js";
import { runStage, type StageDeps, type StageResult } from "../pipeline/runStage.js";
import { updateStage } from "../pipeline/stageState.js";
import { planChunks } from "../providers/transcriber/chunkPlan.js";
import { sha256Hex } from "../providers/transcriber/falWebhookSignature.js";
import type { ChunkedTranscriber, QueuedTranscriber, TranscriberFactory } from "../providers/transcriber/types.js";
import { downloadWavSamples, loadJobJson, readUrlFor, saveJobJson } from "../store/objects.js";
import { loadVoiceProfiles } from "../store/profiles.js";
import { readSpeed } from "../store/speedStats.js";
import { chunkWordsObjectName } from "../store/objectNames.js";
import { publishJobMessage } from "../store/publish.js";
import { retryDelayMs, transcriptionCompletion } from "./transcriptionResult.js";

const STAGE = "transcribe" as const;

export interface TranscribeDeps extends StageDeps {
  transcriber: TranscriberFactory;
  /** The secret webhook tokens are derived from (the FAL key). */
  webhookTokenSecret: string;
}

export async function transcribe(message: JobMessage, deps: TranscribeDeps): Promise<void> {
  const job: JobRef = message;
  await runStage(
    { job, stage: STAGE, idempotencyKey: `event:${deps.eventId}`, deps },
    async ({ memory, pp, idempotencyKey, log, attempt }) => {
      const transcriber = await deps.transcriber(pp.stages.transcribe?.provider);
      if (!transcriber) {
        throw permanent(
          "no_transcriber",
          "No transcriber configured: set the FAL_KEY secret " +
            "(the offline transcriber needs pocketsphinx, which deployed functions do not have).",
        );
      }
      return transcriber.kind === "fal"
        ? submit(transcriber, job, pp, memory.language as string | null, idempotencyKey, deps, log, attempt)
        : transcribeLocally(transcriber, job, pp, idempotencyKey, deps, log);
    },
  );
}

/**
 * The webhook token for a job: derived (HMAC) from a server secret and the job id rather than random, so a re-drive
 * after a crash between submitting and storing the request id puts the same token in the URL, and the first request's
 * webhook is still accepted (and adopted) instead of the job paying FAL twice. Only its SHA-256 is stored.
 */
export function webhookToken(secret: string, jobId: string): string {
  // Never a default key: a token anyone could compute from the job id would bind nothing.
  if (!secret) throw permanent("fal_not_configured", "No secret to derive FAL webhook tokens from (FAL_KEY).");
  return createHmac("sha256", secret).update(`fal-webhook:${jobId}`).digest("hex").slice(0, 48);
}

async function submit(
  fal: QueuedTranscriber,
  job: JobRef,
  pp: Postprocessing,
  language: string | null,
  key: string,
  deps: TranscribeDeps,
  ctx: logs.LogContext,
  attempt: number,
): Promise<StageResult> {
  const { config } = deps;
  const now = deps.now();
  const previous = pp.stages.transcribe;
  const startedAt = Date.parse(previous?.submit_started_at ?? "");
  if (
    !previous?.provider_request_id &&
    Number.isFinite(startedAt) &&
    now.getTime() - startedAt < config.falWebhookGraceMs
  ) {
    // An earlier delivery submitted and died before storing the request id: its webhook (same token) will be adopted.
    // Only if none comes within the grace period is the audio submitted again.
    const lease = new Date(startedAt + config.falWebhookGraceMs).toISOString();
    await updateStage(job, STAGE, key, { lease_expires_at: lease });
    logs.stageSkipped(ctx, "submission_in_flight");
    return { kind: "parked" };
  }
  const token = webhookToken(deps.webhookTokenSecret, job.jobId);
  // The token's hash must be on the job before FAL can possibly call back.
  const marked = await updateStage(job, STAGE, key, {
    provider: "fal",
    webhook_token_sha256: sha256Hex(token),
    submit_started_at: now.toISOString(),
  });
  if (!marked) {
    logs.stageSkipped(ctx, "lost_lease");
    return { kind: "parked" };
  }
  const webhookQuery = new URLSearchParams({ uid: job.uid, memoryId: job.memoryId, jobId: job.jobId, token });
  const webhookUrl = `${config.falWebhookUrl}?${webhookQuery}`;
  // Valid for as long as FAL may keep the request queued: it downloads the audio only when it starts the work.
  const audioUrl = await readUrlFor(config.postprocessingBucket, pp.audio.normalized_object!, config.falMaxWaitMs);
  let requestId: string;
  try {
    requestId = await fal.submit({ audioUrl, webhookUrl, language });
    await crashPoint(config, job, STAGE, "after_submit");
  } catch (err) {
    if (!(err instanceof PipelineError && err.retryable)) throw err;
    // A FAL outage: try again after a backoff (1, 2, 4 … minutes; the re-drive publishes when it is due) rather
    // than burning the stage's attempts within seconds. A submit that got no answer may have been accepted: its
    // start stays recorded, so the next attempt waits out the webhook grace period (and adopts that request's
    // webhook) before submitting again. Only a clear refusal (429, 500) clears it.
    const ambiguous = (err as { ambiguous?: boolean }).ambiguous === true;
    await updateStage(job, STAGE, key, {
      state: "pending",
      lease_expires_at: null,
      ...(ambiguous ? {} : { submit_started_at: null }),
      // From now, when the failure is known (the client's own retries took a while), not from the attempt's start.
      retry_at: new Date(deps.now().getTime() + retryDelayMs(attempt)).toISOString(),
      last_error: `${err.code}: ${err.message}`,
    });
    logs.stageRetrying(ctx, 0, err);
    return { kind: "parked" };
  }
  const submittedAt = deps.now();
  const stored = await updateStage(
    job,
    STAGE,
    key,
    {
      state: "waiting",
      provider_request_id: requestId,
      idempotency_key: `fal:${requestId}`,
      submitted_at: submittedAt.toISOString(),
      lease_expires_at: new Date(submittedAt.getTime() + config.falWebhookGraceMs).toISOString(),
      retry_at: null,
    },
    { "postprocessing.phase": "awaiting_transcription_result" },
  );
  // Not stored: the webhook was faster and adopted this request (or the job ended). Either way nothing to redo.
  if (stored) logs.falSubmitted(ctx, requestId);
  else logs.stageSkipped(ctx, "submission_adopted_by_webhook");
  return { kind: "parked" };
}

async function transcribeLocally(
  local: ChunkedTranscriber,
  job: JobRef,
  pp: Postprocessing,
  key: string,
  deps: TranscribeDeps,
  ctx: logs.LogContext,
): Promise<StageResult> {
  const { config } = deps;
  const { samples, sampleRate } = await downloadWavSamples(config.postprocessingBucket, pp.audio.normalized_object!);
  let chunks = pp.stages.transcribe?.chunks ?? null;
  if (!chunks) {
    const speech = await local.detectSpeech(samples);
    chunks = { boundaries: planChunks(samples.length / sampleRate, speech, config.localChunkSeconds), done: 0 };
    await updateStage(job, STAGE, key, { provider: "local", chunks });
  }
  const total = chunks.boundaries.length - 1;
  if (chunks.done < total) {
    const index = chunks.done;
    const started = Date.now();
    const words = await local.transcribeChunk(
      samples,
      sampleRate,
      chunks.boundaries[index],
      chunks.boundaries[index + 1],
    );
    const chunk: Transcript = { words, language: "en", model: local.model };
    await saveJobJson(config.postprocessingBucket, chunkWordsObjectName(job, index), job, "transcript", chunk);
    logs.localChunkDone(ctx, index, total, words.length, Date.now() - started);
    if (index + 1 < total) {
      // Give the stage back with the next chunk due, and trigger the next invocation.
      const done = { ...chunks, done: index + 1 };
      const progress = jobProgress(pp, await readSpeed(), { stage: STAGE, fraction: done.done / total });
      const handedBack = await updateStage(
        job,
        STAGE,
        key,
        { state: "pending", attempts: 0, lease_expires_at: null, idempotency_key: null, chunks: done },
        { "postprocessing.progress": progress },
      );
      if (handedBack) await publishJobMessage(topicOf(STAGE)!, job);
      return { kind: "parked" };
    }
    chunks = { ...chunks, done: total };
    await updateStage(job, STAGE, key, { chunks });
  }
  const words = [];
  for (let i = 0; i < total; i++) {
    words.push(...(await loadJobJson<Transcript>(config.postprocessingBucket, chunkWordsObjectName(job, i))).words);
  }
  const known = await loadVoiceProfiles(job.uid, local.speakerModelId);
  const labelled = await local.labelSpeakers(samples, sampleRate, words, known);
  return transcriptionCompletion(job, { words: labelled, language: "en", model: local.model }, config);
}
