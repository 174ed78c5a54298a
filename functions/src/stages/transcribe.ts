/**
 * Stage `transcribe` (Pub/Sub `postprocessing-transcribe`). With FAL: submit with a webhook, record the request id
 * at once, and return (the result arrives at `falWebhook`, or by polling). Offline: transcribe one chunk of at most
 * LOCAL_CHUNK_SECONDS per delivery, re-publishing for the next chunk, then diarize the whole recording and finish.
 */
import { randomBytes } from "node:crypto";
import type { FalClient } from "@fal-ai/client";
import type { DocumentData } from "firebase-admin/firestore";
import { TOPICS, type Config } from "../config.js";
import { permanent } from "../errors.js";
import * as logs from "../logs.js";
import type { JobMessage, Postprocessing } from "../model.js";
import { submitTranscription } from "../providers/transcriber/fal.js";
import { planChunks } from "../providers/transcriber/chunkPlan.js";
import { detectSpeech, labelSpeakers, LOCAL_MODEL, localTranscriberAvailable, transcribeChunk } from "../providers/transcriber/local.js";
import { sha256Hex } from "../providers/transcriber/falWebhookSignature.js";
import { downloadWavSamples, readUrlFor } from "../store/objects.js";
import { publishJobMessage } from "../store/publish.js";
import { updateStage, type JobRef } from "../store/stages.js";
import { chunkWordsObjectName, loadTranscriptJson, saveTranscriptJson } from "../store/transcripts.js";
import { finishTranscription } from "./finishTranscription.js";
import { runStage, type StageDeps } from "./runStage.js";

const STAGE = "transcribe" as const;

export interface TranscribeDeps extends StageDeps {
  fal: () => FalClient;
}

export type TranscriberChoice = "fal" | "local" | null;

/** FAL when configured (or forced); otherwise the offline transcriber if this machine has it; otherwise none. */
export function chooseTranscriber(config: Pick<Config, "transcriber" | "falKey">, localAvailable: boolean): TranscriberChoice {
  if (config.transcriber === "fal") return "fal";
  if (config.transcriber === "auto" && config.falKey) return "fal";
  return localAvailable ? "local" : null;
}

export async function transcribe(message: JobMessage, deps: TranscribeDeps): Promise<void> {
  const job: JobRef = message;
  await runStage(
    { job, stage: STAGE, idempotencyKey: `event:${deps.eventId}`, phase: "transcribing", nextTopics: () => [TOPICS.segment], deps },
    async ({ memory, idempotencyKey, log }) => {
      const pp = memory.postprocessing as Postprocessing;
      const choice = pp.stages.transcribe?.provider ?? chooseTranscriber(deps.config, await localTranscriberAvailable());
      if (choice === "fal") await submitToFal(job, memory, idempotencyKey, deps, log);
      else if (choice === "local") await transcribeLocally(job, pp, idempotencyKey, deps, log);
      else throw permanent("no_transcriber", "No transcriber configured: set the FAL_KEY secret (the offline transcriber needs pocketsphinx, which deployed functions do not have).");
    },
  );
}

async function submitToFal(job: JobRef, memory: DocumentData, key: string, deps: TranscribeDeps, ctx: logs.LogContext): Promise<void> {
  const { config } = deps;
  const pp = memory.postprocessing as Postprocessing;
  const token = randomBytes(24).toString("hex");
  // The token's hash must be on the job before FAL can possibly call back.
  if (!(await updateStage(job, STAGE, key, { provider: "fal", webhook_token_sha256: sha256Hex(token) }))) return logs.stageSkipped(ctx, "lost_lease");
  const webhookUrl = `${config.falWebhookUrl}?${new URLSearchParams({ uid: job.uid, memoryId: job.memoryId, jobId: job.jobId, token })}`;
  const audioUrl = await readUrlFor(config.postprocessingBucket, pp.audio.normalized_object!);
  const requestId = await submitTranscription(deps.fal(), config.falEndpoint, { audioUrl, webhookUrl, language: memory.language as string | null });
  const now = deps.now();
  await updateStage(job, STAGE, key, {
    state: "waiting", provider_request_id: requestId, idempotency_key: `fal:${requestId}`, submitted_at: now.toISOString(),
    lease_expires_at: new Date(now.getTime() + config.falWebhookGraceMs).toISOString(), retry_at: null,
  }, { "postprocessing.phase": "awaiting_transcription_result" });
  logs.falSubmitted(ctx, requestId);
}

async function transcribeLocally(job: JobRef, pp: Postprocessing, key: string, deps: TranscribeDeps, ctx: logs.LogContext): Promise<void> {
  const { config } = deps;
  const { samples, sampleRate } = await downloadWavSamples(config.postprocessingBucket, pp.audio.normalized_object!);
  let chunks = pp.stages.transcribe?.chunks ?? null;
  if (!chunks) {
    chunks = { boundaries: planChunks(samples.length / sampleRate, await detectSpeech(samples), config.localChunkSeconds), done: 0 };
    await updateStage(job, STAGE, key, { provider: "local", chunks });
  }
  const total = chunks.boundaries.length - 1;
  if (chunks.done < total) {
    const index = chunks.done;
    const started = Date.now();
    const words = await transcribeChunk(samples, sampleRate, chunks.boundaries[index]!, chunks.boundaries[index + 1]!);
    await saveTranscriptJson(config.postprocessingBucket, chunkWordsObjectName(job, index), job, { words, language: "en", model: LOCAL_MODEL });
    logs.localChunkDone(ctx, index, total, words.length, Date.now() - started);
    if (index + 1 < total) {
      // Give the stage back with the next chunk due, and trigger the next invocation.
      const handedBack = await updateStage(job, STAGE, key, {
        state: "pending", attempts: 0, lease_expires_at: null, idempotency_key: null, chunks: { ...chunks, done: index + 1 },
      });
      if (handedBack) await publishJobMessage(TOPICS.transcribe, job);
      return;
    }
    chunks = { ...chunks, done: total };
    await updateStage(job, STAGE, key, { chunks });
  }
  const words = [];
  for (let i = 0; i < total; i++) words.push(...(await loadTranscriptJson(config.postprocessingBucket, chunkWordsObjectName(job, i))).words);
  const labelled = await labelSpeakers(samples, sampleRate, words);
  await finishTranscription(job, { words: labelled, language: "en", model: LOCAL_MODEL }, { config, idempotencyKey: key, now: deps.now(), log: ctx });
}
