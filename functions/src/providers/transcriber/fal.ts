/**
 * FAL adapter: submits the normalized audio to the FAL queue (`fal-ai/whisper` with diarization and word-level
 * chunks) with a webhook, and reads results back. Never waits for a result: event functions stop at 540 s and long
 * recordings take longer; the result arrives by webhook, or by status polling if the webhook never comes.
 * The client library is loaded on first use only, so functions that never call FAL do not pay for it at cold start.
 */
import type { FalClient } from "@fal-ai/client";
import { permanent, type PipelineError } from "../../errors.js";
import type { SpeakerTurn, Transcript, Word } from "../../model/transcript.js";
import { assignSpeakers } from "../../transcript/assignSpeakers.js";
import { classifyHttpFailure } from "../httpFailure.js";
import type { QueuedRequestState, QueuedTranscriber } from "./types.js";

export interface FalSettings {
  key: string;
  endpoint: string;
  /** Origin for queue calls; anything but https://queue.fal.run (a local fake in tests, a proxy) is rewritten to. */
  baseUrl: string;
}

const FAL_QUEUE_ORIGIN = "https://queue.fal.run";

/** Whisper languages FAL accepts as a hint; anything else (or "multi") lets FAL detect it. */
const LANGUAGE_HINT = /^[a-z]{2,3}$/;

/** The whisper input for a diarized, word-level transcription of `audioUrl`. Pure. */
export function whisperInput(audioUrl: string, language: string | null): Record<string, unknown> {
  const input: Record<string, unknown> = {
    audio_url: audioUrl,
    task: "transcribe",
    diarize: true,
    chunk_level: "word",
  };
  if (language && LANGUAGE_HINT.test(language)) input.language = language;
  return input;
}

export class FalTranscriber implements QueuedTranscriber {
  readonly kind = "fal";
  private client: Promise<FalClient> | undefined;

  constructor(private readonly settings: FalSettings) {}

  get model(): string {
    return this.settings.endpoint;
  }

  private fal(): Promise<FalClient> {
    this.client ??= import("@fal-ai/client").then(({ createFalClient }) => {
      const base = this.settings.baseUrl.replace(/\/+$/, "");
      const rewrite = base && base !== FAL_QUEUE_ORIGIN;
      return createFalClient({
        credentials: this.settings.key || undefined,
        requestMiddleware: rewrite
          ? async (request) => ({ ...request, url: request.url.replace(/^https:\/\/(queue\.)?fal\.run/, base) })
          : undefined,
      });
    });
    return this.client;
  }

  async submit(request: { audioUrl: string; webhookUrl: string; language: string | null }): Promise<string> {
    const fal = await this.fal();
    try {
      const queued = await fal.queue.submit(this.settings.endpoint as "fal-ai/whisper", {
        input: whisperInput(request.audioUrl, request.language) as never,
        webhookUrl: request.webhookUrl,
      });
      return queued.request_id;
    } catch (err) {
      throw classifyFalError(err, "submit");
    }
  }

  async status(requestId: string): Promise<QueuedRequestState> {
    const fal = await this.fal();
    try {
      return (await fal.queue.status(this.settings.endpoint, { requestId, logs: false })).status;
    } catch (err) {
      throw classifyFalError(err, "status");
    }
  }

  async result(requestId: string): Promise<Transcript> {
    const fal = await this.fal();
    let data: unknown;
    try {
      data = (await fal.queue.result(this.settings.endpoint as "fal-ai/whisper", { requestId })).data;
    } catch (err) {
      throw classifyFalError(err, "result");
    }
    return this.toTranscript(data);
  }

  toTranscript(output: unknown): Transcript {
    return falOutputToTranscript(output, this.settings.endpoint);
  }
}

/** The client's ApiError (and ValidationError) carry the HTTP status and body; anything else never got an answer. */
export function classifyFalError(err: unknown, call: string): PipelineError {
  const api = err as { name?: string; status?: unknown; body?: unknown };
  if ((api.name === "ApiError" || api.name === "ValidationError") && typeof api.status === "number") {
    return classifyHttpFailure("FAL", call, { status: api.status, detail: api.body ?? null });
  }
  return classifyHttpFailure("FAL", call, { error: err });
}

/** Status code in a webhook's `error` ("Invalid status code: 422"), if any. */
export function webhookErrorStatus(error: unknown): number | null {
  const m = /(\d{3})/.exec(typeof error === "string" || typeof error === "number" ? String(error) : "");
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
  const chunks = out.chunks;
  const words: Word[] = [];
  chunks.forEach((chunk, i) => {
    const text = (chunk.text ?? "").trim();
    const start = num(chunk.timestamp?.[0]);
    if (!text || start === null) return;
    const nextStart = num(chunks[i + 1]?.timestamp?.[0]);
    const end = num(chunk.timestamp?.[1]) ?? nextStart ?? start + 0.3;
    words.push({ text, start, end: Math.max(start, end), speaker: chunk.speaker ?? null });
  });
  const turns: SpeakerTurn[] = (out.diarization_segments ?? []).flatMap((s) => {
    const start = num(s.timestamp?.[0]);
    const end = num(s.timestamp?.[1]);
    return start !== null && end !== null && s.speaker ? [{ start, end, speaker: s.speaker }] : [];
  });
  const fromTurns = words.some((w) => w.speaker === null) && turns.length ? assignSpeakers(words, turns) : null;
  const labelled = fromTurns
    ? words.map((w, i) => ({ ...w, speaker: w.speaker ?? fromTurns[i]?.speaker ?? null }))
    : words;
  return { words: labelled, language: out.inferred_languages?.[0] ?? null, model };
}
