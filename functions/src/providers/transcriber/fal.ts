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
  /** Timeout of one HTTP request (the client retries some failures itself: falCallBudgetMs). */
  timeoutMs: number;
}

const FAL_QUEUE_ORIGIN = "https://queue.fal.run";

/**
 * The longest one queue call can take, all of @fal-ai/client's own retries included (its queue.js: submit and result
 * retry 3 times, status 5 times, backing off from 1 s, doubling, at most 60 s and 30 s, with up to 25 % jitter; it
 * does not read Retry-After). Every attempt is cut at `timeoutMs`. Pure.
 */
export function falCallBudgetMs(call: "submit" | "status" | "result", timeoutMs: number): number {
  const [retries, maxDelayMs] = call === "status" ? [5, 30_000] : [3, 60_000];
  let backoff = 0;
  for (let i = 0; i < retries; i++) backoff += Math.min(1000 * 2 ** i, maxDelayMs) * 1.25;
  return (retries + 1) * timeoutMs + backoff;
}

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
      const { timeoutMs } = this.settings;
      return createFalClient({
        credentials: this.settings.key || undefined,
        requestMiddleware: rewrite
          ? async (request) => ({ ...request, url: request.url.replace(/^https:\/\/(queue\.)?fal\.run/, base) })
          : undefined,
        // The client sets no timeout of its own: a request that hangs would hold the stage until the function dies.
        // And a submit whose answer never came (a reset, a timeout, a gateway 5xx) may have been accepted: the client
        // would replay it (fal-ai/fal-js#238), paying twice, so such a submit ends here as an ambiguous failure and
        // the stage waits for the first one's webhook instead (stages/transcribe.ts).
        fetch: async (input, init) => {
          const timeout = AbortSignal.timeout(timeoutMs);
          const submit = (init?.method ?? "GET").toUpperCase() === "POST";
          let res: Response;
          try {
            res = await fetch(input, {
              ...init,
              signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
            });
          } catch (err) {
            if (submit) throw new FalSubmitUnanswered(`no answer: ${(err as Error).message}`);
            throw err;
          }
          if (submit && GATEWAY_STATUSES.has(res.status))
            throw new FalSubmitUnanswered(`gateway ${res.status}: ${(await res.text()).slice(0, 200)}`);
          return res;
        },
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

/** Statuses of FAL's gateway, in front of its queue: the submit may or may not have reached the queue. */
const GATEWAY_STATUSES = new Set([502, 503, 504]);

/** A submit that got no answer from FAL's queue: it may have been accepted. Not replayed by the client. */
export class FalSubmitUnanswered extends Error {
  override name = "FalSubmitUnanswered";
}

/**
 * The client's ApiError (and ValidationError) carry the HTTP status and body; anything else never got an answer.
 * `ambiguous`: FAL may have accepted the request all the same (no answer, or its gateway's 5xx), so the stage must not
 * submit again before that request's webhook has had time to arrive.
 */
export function classifyFalError(err: unknown, call: string): PipelineError & { ambiguous?: boolean } {
  const api = err as { name?: string; status?: unknown; body?: unknown };
  if ((api.name === "ApiError" || api.name === "ValidationError") && typeof api.status === "number") {
    return classifyHttpFailure("FAL", call, { status: api.status, detail: api.body ?? null });
  }
  const failure = classifyHttpFailure("FAL", call, { error: err });
  return Object.assign(failure, { ambiguous: call === "submit" });
}

/**
 * The HTTP status in a webhook's `error`, which FAL words "Invalid status code: 422"; null for anything else (a
 * message that merely contains a number, "timed out after 600 seconds", is not a status).
 */
export function webhookErrorStatus(error: unknown): number | null {
  const text = typeof error === "string" ? error : typeof error === "number" ? `status code: ${error}` : "";
  const m = /\bstatus code:?\s*([1-5]\d\d)\b/i.exec(text);
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
