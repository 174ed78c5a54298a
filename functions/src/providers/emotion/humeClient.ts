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

/** Hume's limit on one request: "25MB, the whole multipart body". */
export const HUME_MAX_REQUEST_BYTES = 25 * 1000 * 1000;
/** Room left for the multipart framing around the WAV when planning requests (the real body is measured too). */
export const MULTIPART_OVERHEAD_BYTES = 4096;
/** The longest Retry-After we wait out before a retry. */
const MAX_RETRY_AFTER_MS = 60_000;

const expressionSchema = z.object({ name: z.string(), probability: z.number().min(0).max(1) });
const measurementSchema = z.looseObject({
  trigger: z.string().optional(),
  audio_start_ms: z.number(),
  audio_end_ms: z.number(),
  expressions: z.array(expressionSchema),
});
/**
 * The documented answer: `utterances`, each with its measurements (docs: Upload audio, "How measurements are
 * produced"); measurements at the top level are accepted too. Lists hold only the scores past their cutoff, so they
 * may be empty.
 */
const responseSchema = z.union([
  z.looseObject({
    run_id: z.string().optional(),
    utterances: z.array(z.looseObject({ measurements: z.array(measurementSchema) })),
  }),
  z.looseObject({ run_id: z.string().optional(), measurements: z.array(measurementSchema) }),
]);
export type HumeMeasurement = z.infer<typeof measurementSchema>;

export interface HumeAnswer {
  measurements: HumeMeasurement[];
  /** Hume's id of the run, when it sends one (for the ledger). */
  requestId: string | null;
}

export interface HumeSettings {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  retries: number;
  /** Delay before the first retry (doubling after, randomised up to twice as long). */
  minRetryDelayMs?: number;
}

/**
 * The longest one request can take with all its retries: every attempt cut at the timeout, and before each retry the
 * longest Retry-After we honour plus the randomised backoff. Pure.
 */
export function humeRequestBudgetMs(s: Pick<HumeSettings, "timeoutMs" | "retries" | "minRetryDelayMs">): number {
  let waits = 0;
  for (let i = 0; i < s.retries; i++) waits += MAX_RETRY_AFTER_MS + 2 * (s.minRetryDelayMs ?? 1000) * 2 ** i;
  return (s.retries + 1) * s.timeoutMs + waits;
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
  async measureAudio(wav: Buffer): Promise<HumeAnswer> {
    const url = `${this.settings.baseUrl.replace(/\/+$/, "")}/v1/expression/audio/file`;
    // The limit is on the whole multipart body: it is built once, measured, and sent as those exact bytes.
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(wav)], { type: "audio/wav" }), "speech.wav");
    const encoded = new Request(url, { method: "POST", body: form });
    const payload = Buffer.from(await encoded.arrayBuffer());
    if (payload.length > HUME_MAX_REQUEST_BYTES)
      throw new Error(`Hume requests are limited to ${HUME_MAX_REQUEST_BYTES} bytes; this one is ${payload.length}`);
    const contentType = encoded.headers.get("content-type")!;
    const attempt = async (): Promise<HumeAnswer> => {
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          headers: { "X-Hume-Api-Key": this.settings.apiKey, "content-type": contentType },
          body: payload,
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
        run_id?: string;
        measurements?: HumeMeasurement[];
        utterances?: { measurements: HumeMeasurement[] }[];
      };
      return {
        measurements: data.measurements ?? (data.utterances ?? []).flatMap((u) => u.measurements),
        requestId: data.run_id ?? res.headers.get("x-request-id") ?? null,
      };
    };
    try {
      return await pRetry<HumeAnswer>(attempt, {
        retries: this.settings.retries,
        minTimeout: this.settings.minRetryDelayMs ?? 1000,
        factor: 2,
        randomize: true,
        onFailedAttempt: async ({ error }) => {
          // Hume says when to come back: wait at least that long (p-retry's own backoff follows).
          const wait = error instanceof RetryableHttp ? error.retryAfterMs : null;
          if (wait) await new Promise((r) => setTimeout(r, Math.min(wait, MAX_RETRY_AFTER_MS)));
        },
      });
    } catch (err) {
      if (err instanceof RetryableHttp)
        throw classifyHttpFailure("Hume", "expression", { status: err.status, detail: err.detail });
      throw err;
    }
  }
}
