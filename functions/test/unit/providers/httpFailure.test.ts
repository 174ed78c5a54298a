/** providers/httpFailure.ts: one classification of failed provider calls. */
import { describe, expect, it } from "vitest";
import { classifyHttpFailure, isRetryableStatus, redactSecrets } from "../../../src/providers/httpFailure.js";

describe("isRetryableStatus", () => {
  it("retries timeouts, rate limits and server errors only", () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 413, 422].some(isRetryableStatus)).toBe(false);
  });
});

describe("classifyHttpFailure", () => {
  it("codes failures by provider and kind", () => {
    expect(classifyHttpFailure("OpenAI", "chat", { status: 401, detail: "bad key" })).toMatchObject({
      code: "openai_rejected",
      retryable: false,
      message: "OpenAI chat returned 401: bad key",
    });
    expect(classifyHttpFailure("Hume", "upload", { status: 429 })).toMatchObject({
      code: "hume_unavailable",
      retryable: true,
    });
    expect(classifyHttpFailure("FCM", "send", { error: new Error("ECONNRESET") })).toMatchObject({
      code: "fcm_unreachable",
      retryable: true,
      message: "FCM send failed: ECONNRESET",
    });
  });
  it("serialises structured details and cuts them short", () => {
    const err = classifyHttpFailure("FAL", "submit", { status: 422, detail: { detail: "x".repeat(2000) } });
    expect(err.message.length).toBeLessThan(600);
    expect(err.message).toContain('{"detail":"xxx');
  });
});

describe("redactSecrets", () => {
  it("removes URLs, keys and tokens", () => {
    const text = "GET https://x.y/z?sig=1 failed with Key abc:def and Bearer eyJ.x.y, token=123&key=456";
    const redacted = redactSecrets(text);
    for (const secret of ["https://x.y", "abc:def", "eyJ.x.y", "123", "456"]) expect(redacted).not.toContain(secret);
    expect(redacted).toContain("<url>");
  });
});
