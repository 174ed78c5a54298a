/**
 * Stage `transcribe`. With a queued provider (FAL): submit with a webhook, record the request id at once, and return
 * (the result arrives at `falWebhook`, or by polling: stages/transcriptionResult.ts). With the chunked offline
 * transcriber: one chunk of at most LOCAL_CHUNK_SECONDS per delivery, re-publishing for the next chunk, then
 * diarize the whole recording and finish.
 */
import { randomBytes } from "node:crypto";
import { permanent } from "../errors.js";
import * as logs from "../logs.js";
import type { JobMessage, JobRef, Postprocessing } from "../model/job.js";
import type { Transcript } from "../model/transcript.js";
import { topicOf } from "../pipeline/definition.js";
import { runStage, type StageDeps, type StageResult } from "../pipeline/runStage.js";
import { updateStage } from "../pipeline/stageState.js";
import { planChunks } from "../providers/transcriber/chunkPlan.js";
import { sha256Hex } from "../providers/transcriber/falWebhookSignature.js";
import type { ChunkedTranscriber, QueuedTranscriber, TranscriberFactory } from "../providers/transcriber/types.js";
import { downloadWavSamples, loadJobJson, readUrlFor, saveJobJson } from "../store/objects.js";
import { chunkWordsObjectName } from "../store/objectNames.js";
import { publishJobMessage } from "../store/publish.js";
import { transcriptionCompletion } from "./transcriptionResult.js";

const STAGE = "transcribe" as const;

export interface TranscribeDeps extends StageDeps {
  transcriber: TranscriberFactory;
}

export async function transcribe(message: JobMessage, deps: TranscribeDeps): Promise<void> {
  const job: JobRef = message;
  await runStage(
    { job, stage: STAGE, idempotencyKey: `event:${deps.eventId}`, deps },
    async ({ memory, pp, idempotencyKey, log }) => {
      const transcriber = await deps.transcriber(pp.stages.transcribe?.provider);
      if (!transcriber) {
        throw permanent(
          "no_transcriber",
          "No transcriber configured: set the FAL_KEY secret " +
            "(the offline transcriber needs pocketsphinx, which deployed functions do not have).",
        );
      }
      return transcriber.kind === "fal"
        ? submit(transcriber, job, pp, memory.language as string | null, idempotencyKey, deps, log)
        : transcribeLocally(transcriber, job, pp, idempotencyKey, deps, log);
    },
  );
}

async function submit(
  fal: QueuedTranscriber,
  job: JobRef,
  pp: Postprocessing,
  language: string | null,
  key: string,
  deps: TranscribeDeps,
  ctx: logs.LogContext,
): Promise<StageResult> {
  const { config } = deps;
  const token = randomBytes(24).toString("hex");
  // The token's hash must be on the job before FAL can possibly call back.
  if (!(await updateStage(job, STAGE, key, { provider: "fal", webhook_token_sha256: sha256Hex(token) }))) {
    logs.stageSkipped(ctx, "lost_lease");
    return { kind: "parked" };
  }
  const webhookQuery = new URLSearchParams({ uid: job.uid, memoryId: job.memoryId, jobId: job.jobId, token });
  const webhookUrl = `${config.falWebhookUrl}?${webhookQuery}`;
  const audioUrl = await readUrlFor(config.postprocessingBucket, pp.audio.normalized_object!);
  const requestId = await fal.submit({ audioUrl, webhookUrl, language });
  const now = deps.now();
  await updateStage(
    job,
    STAGE,
    key,
    {
      state: "waiting",
      provider_request_id: requestId,
      idempotency_key: `fal:${requestId}`,
      submitted_at: now.toISOString(),
      lease_expires_at: new Date(now.getTime() + config.falWebhookGraceMs).toISOString(),
      retry_at: null,
    },
    { "postprocessing.phase": "awaiting_transcription_result" },
  );
  logs.falSubmitted(ctx, requestId);
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
      const handedBack = await updateStage(job, STAGE, key, {
        state: "pending",
        attempts: 0,
        lease_expires_at: null,
        idempotency_key: null,
        chunks: { ...chunks, done: index + 1 },
      });
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
  const labelled = await local.labelSpeakers(samples, sampleRate, words);
  return transcriptionCompletion(job, { words: labelled, language: "en", model: local.model }, config);
}
