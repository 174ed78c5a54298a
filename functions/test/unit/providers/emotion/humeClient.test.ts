/** providers/emotion/humeClient.ts (pure part): reading Retry-After. */
import { describe, expect, it } from "vitest";
import { retryAfterMs } from "../../../../src/providers/emotion/humeClient.js";

describe("retryAfterMs", () => {
  it("reads seconds and HTTP dates, and nothing else", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    expect(retryAfterMs("2", now)).toBe(2000);
    expect(retryAfterMs("Mon, 30 Nov 2026 12:00:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("Mon, 30 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeNull();
    expect(retryAfterMs("soon", now)).toBeNull();
  });
});
