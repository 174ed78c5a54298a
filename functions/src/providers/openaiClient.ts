/**
 * The OpenAI client shared by the extractor and the text embedder: the official SDK, loaded on first use, pointed at
 * a configurable base URL (a proxy, or a local server speaking the API in tests). The SDK retries 408/409/429/5xx,
 * connection errors and timeouts itself (honouring Retry-After); what still fails is classified like every provider.
 */
import type OpenAI from "openai";
import type { PipelineError } from "../errors.js";
import { classifyHttpFailure } from "./httpFailure.js";

export interface OpenAISettings {
  apiKey: string;
  baseURL: string;
  timeoutMs: number;
  maxRetries: number;
}

const clients = new Map<string, Promise<OpenAI>>();

/** The SDK waits out a Retry-After of at most this long (longer ones get its own backoff, at most 8 s). */
const SDK_MAX_RETRY_AFTER_MS = 60_000;

/**
 * The longest one request can take, the SDK's own retries included: every attempt cut at the timeout, and before
 * each retry the longest wait the SDK honours. Pure.
 */
export const openaiRequestBudgetMs = (s: Pick<OpenAISettings, "timeoutMs" | "maxRetries">) =>
  (s.maxRetries + 1) * s.timeoutMs + s.maxRetries * SDK_MAX_RETRY_AFTER_MS;

export function openaiClient(settings: OpenAISettings): Promise<OpenAI> {
  const key = JSON.stringify(settings);
  let client = clients.get(key);
  if (!client) {
    client = import("openai").then(
      ({ default: OpenAIClient }) =>
        new OpenAIClient({
          apiKey: settings.apiKey,
          baseURL: settings.baseURL,
          timeout: settings.timeoutMs,
          maxRetries: settings.maxRetries,
        }),
    );
    clients.set(key, client);
  }
  return client;
}

/** The SDK's APIError carries the HTTP status; connection errors and timeouts have none. */
export function classifyOpenAIError(err: unknown, call: string): PipelineError {
  const status = (err as { status?: unknown }).status;
  if (typeof status === "number") {
    return classifyHttpFailure("OpenAI", call, { status, detail: err instanceof Error ? err.message : undefined });
  }
  return classifyHttpFailure("OpenAI", call, { error: err });
}
