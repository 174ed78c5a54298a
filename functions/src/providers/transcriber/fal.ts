/**
 * FAL adapter: submits the normalized audio to the FAL queue (`fal-ai/whisper` with diarization and word-level
 * chunks) with a webhook, and reads results back. Never waits for a result: event functions stop at 540 s and long
 * recordings take longer; the result arrives by webhook, or by status polling if the webhook never comes.
 */
import { ApiError, createFalClient, type FalClient } from "@fal-ai/client";
import { permanent, transient, type PipelineError } from "../../errors.js";
import { assignSpeakers } from "../../diarization/diarize.js";
import type { SpeakerTurn, TranscribedWord, Transcript } from "./types.js";

export interface FalSettings {
  key: string;
  endpoint: string;
  /** Origin for queue calls; anything but https://queue.fal.run (a local fake in tests, a proxy) is rewritten to. */
  baseUrl: string;
}

const FAL_QUEUE_ORIGIN = "https://queue.fal.run";

export function createFal(settings: FalSettings): FalClient {
  const base = settings.baseUrl.replace(/\/+$/, "");
  const rewrite = base && base !== FAL_QUEUE_ORIGIN;
  return createFalClient({
    credentials: settings.key || undefined,
    requestMiddleware: rewrite ? async (request) => ({ ...request, url: request.url.replace(/^https:\/\/(queue\.)?fal\.run/, base) }) : undefined,
  });
}

/** Whisper languages FAL accepts as a hint; anything else (or "multi") lets FAL detect it. */
const LANGUAGE_HINT = /^[a-z]{2,3}$/;

export interface SubmitRequest {
  audioUrl: string;
  webhookUrl: string;
  language?: string | null;
  numSpeakers?: number | null;
}

export async function submitTranscription(fal: FalClient, endpoint: string, req: SubmitRequest): Promise<string> {
  const input: Record<string, unknown> = { audio_url: req.audioUrl, task: "transcribe", diarize: true, chunk_level: "word" };
  if (req.language && LANGUAGE_HINT.test(req.language)) input.language = req.language;
  if (req.numSpeakers && req.numSpeakers > 0) input.num_speakers = req.numSpeakers;
  try {
    const queued = await fal.queue.submit(endpoint as "fal-ai/whisper", { input: input as never, webhookUrl: req.webhookUrl });
    return queued.request_id;
  } catch (err) {
    throw classifyFalError(err, "submit");
  }
}

export type FalRequestState = "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED";

export async function requestStatus(fal: FalClient, endpoint: string, requestId: string): Promise<FalRequestState> {
  try {
    return (await fal.queue.status(endpoint, { requestId, logs: false })).status as FalRequestState;
  } catch (err) {
    throw classifyFalError(err, "status");
  }
}

export async function fetchResult(fal: FalClient, endpoint: string, requestId: string): Promise<unknown> {
  try {
    return (await fal.queue.result(endpoint as "fal-ai/whisper", { requestId })).data;
  } catch (err) {
    throw classifyFalError(err, "result");
  }
}

/** 4xx (bad input, auth, unknown request) will fail again: the job fails. 408/429/5xx/network: try again later. */
export function classifyFalError(err: unknown, call: string): PipelineError {
  if (err instanceof ApiError) {
    const detail = JSON.stringify(err.body ?? null).slice(0, 500);
    if (err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) {
      return permanent("fal_rejected", `FAL ${call} returned ${err.status}: ${detail}`);
    }
    return transient("fal_unavailable", `FAL ${call} returned ${err.status}: ${detail}`);
  }
  return transient("fal_unreachable", `FAL ${call} failed: ${err instanceof Error ? err.message : String(err)}`);
}

/** Status code in a webhook's `error` ("Invalid status code: 422"), if any. */
export function webhookErrorStatus(error: unknown): number | null {
  const m = /(\d{3})/.exec(String(error ?? ""));
  return m ? Number(m[1]) : null;
}

interface WhisperChunk {
  timestamp?: unknown[];
  text?: string;
  speaker?: string | null;
}
interface WhisperOutput {
  text?: string;
  chunks?: WhisperChunk[];
  diarization_segments?: { timestamp?: unknown[]; speaker?: string }[];
  inferred_languages?: string[];
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** FAL whisper output (word-level chunks, speakers) → our words. Chunks without a speaker take it from the turns. */
export function falOutputToTranscript(output: unknown, model: string): Transcript {
  const out = (output ?? {}) as WhisperOutput;
  if (!Array.isArray(out.chunks)) throw permanent("fal_bad_output", "FAL returned no word chunks.");
  const words: TranscribedWord[] = [];
  out.chunks.forEach((chunk, i) => {
    const text = (chunk.text ?? "").trim();
    const start = num(chunk.timestamp?.[0]);
    if (!text || start === null) return;
    const nextStart = num(out.chunks![i + 1]?.timestamp?.[0]);
    const end = num(chunk.timestamp?.[1]) ?? nextStart ?? start + 0.3;
    words.push({ text, start, end: Math.max(start, end), speaker: chunk.speaker ?? null });
  });
  const turns: SpeakerTurn[] = (out.diarization_segments ?? []).flatMap((s) => {
    const start = num(s.timestamp?.[0]);
    const end = num(s.timestamp?.[1]);
    return start !== null && end !== null && s.speaker ? [{ start, end, speaker: s.speaker }] : [];
  });
  const fromTurns = words.some((w) => w.speaker === null) && turns.length ? assignSpeakers(words, turns) : null;
  const labelled = fromTurns ? words.map((w, i) => ({ ...w, speaker: w.speaker ?? fromTurns[i]?.speaker ?? null })) : words;
  return { words: labelled, language: out.inferred_languages?.[0] ?? null, model };
}
