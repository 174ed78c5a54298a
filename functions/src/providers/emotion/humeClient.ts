/**
 * A small typed client for Hume's Expression Measurement API, `POST /v1/expression/audio/file` (multipart `file`,
 * 16 kHz mono s16le WAV, at most 25 MB, answered synchronously). The `hume` npm SDK (0.16) no longer covers expression
 * measurement (its batch API was retired on 2026-06-14), so this is plain `fetch`: a configurable base URL, a timeout
 * per attempt, retries with backoff on network errors, 408, 429 and 5xx (honouring Retry-After), and a validated
 * answer.
 */
import pRetry, { AbortError } from "p-retry";
import { z } from "zod";
import { PipelineError } from "../../errors.js";
import { classifyHttpFailure, isRetryableStatus } from "../httpFailure.js";

export const HUME_MAX_REQUEST_BYTES = 25 * 1000 * 1000;

const expressionSchema = z.object({ name: z.string(), probability: z.number().min(0).max(1) });
const measurementSchema = z.looseObject({
  trigger: z.string().optional(),
  audio_start_ms: z.number(),
  audio_end_ms: z.number(),
  expressions: z.array(expressionSchema),
});
/** Measurements at the top level, or per utterance: both readings of the documented answer are accepted. */
const responseSchema = z.union([
  z.looseObject({ measurements: z.array(measurementSchema) }),
  z.looseObject({ utterances: z.array(z.looseObject({ measurements: z.array(measurementSchema) })) }),
]);
export type HumeMeasurement = z.infer<typeof measurementSchema>;

export interface HumeSettings {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  retries: number;
  /** Delay before the first retry (doubling after), when the answer names no Retry-After. */
  minRetryDelayMs?: number;
}

class RetryableHttp extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | null,
    readonly detail: string,
  ) {
    super(`HTTP ${status}`);
  }
}

/** Retry-After in seconds or as an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

export class HumeClient {
  constructor(private readonly settings: HumeSettings) {}

  /** Measures one WAV; returns its measurements (times in that WAV's clock). */
  async measureAudio(wav: Buffer): Promise<HumeMeasurement[]> {
    if (wav.length > HUME_MAX_REQUEST_BYTES)
      throw new Error(`Hume requests are limited to ${HUME_MAX_REQUEST_BYTES} bytes`);
    const url = `${this.settings.baseUrl.replace(/\/+$/, "")}/v1/expression/audio/file`;
    const attempt = async (): Promise<HumeMeasurement[]> => {
      const form = new FormData();
      form.append("file", new Blob([new Uint8Array(wav)], { type: "audio/wav" }), "speech.wav");
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          headers: { "X-Hume-Api-Key": this.settings.apiKey },
          body: form,
          signal: AbortSignal.timeout(this.settings.timeoutMs),
        });
      } catch (err) {
        throw classifyHttpFailure("Hume", "expression", { error: err }); // retried by p-retry (not an AbortError)
      }
      const text = await res.text();
      if (!res.ok) {
        if (isRetryableStatus(res.status))
          throw new RetryableHttp(res.status, retryAfterMs(res.headers.get("retry-after")), text);
        throw new AbortError(classifyHttpFailure("Hume", "expression", { status: res.status, detail: text }));
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new AbortError(
          new PipelineError(
            "hume_bad_output",
            `Hume answered with something that is not JSON: ${text.slice(0, 100)}`,
            false,
          ),
        );
      }
      const parsed = responseSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AbortError(
          new PipelineError(
            "hume_bad_output",
            `Hume's answer has an unexpected shape (${issue?.path.join(".")}: ${issue?.message}).`,
            false,
          ),
        );
      }
      const data = parsed.data as {
        measurements?: HumeMeasurement[];
        utterances?: { measurements: HumeMeasurement[] }[];
      };
      return data.measurements ?? (data.utterances ?? []).flatMap((u) => u.measurements);
    };
    try {
      return await pRetry<HumeMeasurement[]>(attempt, {
        retries: this.settings.retries,
        minTimeout: this.settings.minRetryDelayMs ?? 1000,
        factor: 2,
        randomize: true,
        onFailedAttempt: async ({ error }) => {
          // Hume says when to come back: wait at least that long (p-retry's own backoff follows).
          const wait = error instanceof RetryableHttp ? error.retryAfterMs : null;
          if (wait) await new Promise((r) => setTimeout(r, Math.min(wait, 60_000)));
        },
      });
    } catch (err) {
      if (err instanceof RetryableHttp)
        throw classifyHttpFailure("Hume", "expression", { status: err.status, detail: err.detail });
      throw err;
    }
  }
}
