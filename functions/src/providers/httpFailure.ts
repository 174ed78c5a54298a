/**
 * One classification of failed calls to HTTP providers (FAL, OpenAI, Hume, FCM): retrying helps for network errors,
 * timeouts (408), rate limits (429) and server errors (5xx); any other 4xx (bad input, auth, unknown request) would
 * fail again, so it is permanent.
 */
import { permanent, transient, type PipelineError } from "../errors.js";

export const isRetryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/** URLs and bearer-like tokens in provider messages (which may echo our signed URLs) are cut out. */
export function redactSecrets(text: string): string {
  return text
    .replace(/https?:\/\/[^\s"'<>]+/g, "<url>")
    .replace(/\b(Key|Bearer)\s+[\w.:-]+/gi, "$1 <redacted>")
    .replace(/\b(token|key|signature|X-Goog-Signature)=[^&\s"']+/gi, "$1=<redacted>");
}

/**
 * A provider call's failure as a PipelineError coded `<provider>_rejected` (permanent), `<provider>_unavailable`
 * (a retryable status) or `<provider>_unreachable` (no HTTP answer at all), where `<provider>` is the lower-cased
 * label ("FAL" → `fal_rejected`).
 */
export function classifyHttpFailure(
  provider: string,
  call: string,
  failure: { status?: number | null; detail?: unknown; error?: unknown },
): PipelineError {
  const detail = redactSecrets(
    failure.detail === undefined
      ? ""
      : typeof failure.detail === "string"
        ? failure.detail
        : JSON.stringify(failure.detail),
  ).slice(0, 500);
  const { status } = failure;
  const code = provider.toLowerCase();
  if (typeof status === "number") {
    const message = `${provider} ${call} returned ${status}${detail ? `: ${detail}` : ""}`;
    return isRetryableStatus(status)
      ? transient(`${code}_unavailable`, message)
      : permanent(`${code}_rejected`, message);
  }
  const { error } = failure;
  const cause =
    error instanceof Error
      ? error.message
      : error === undefined || error === null
        ? "no answer"
        : typeof error === "string"
          ? error
          : JSON.stringify(error);
  return transient(`${code}_unreachable`, `${provider} ${call} failed: ${redactSecrets(cause)}`);
}
