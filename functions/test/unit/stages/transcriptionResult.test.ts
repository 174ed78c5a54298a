/** stages/transcriptionResult.ts (pure part): the backoff before resubmitting after a provider-side failure. */
import { describe, expect, it } from "vitest";
import { retryDelayMs } from "../../../src/stages/transcriptionResult.js";

describe("retryDelayMs", () => {
  it("doubles from one minute per attempt, capped at 30 minutes", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((a) => retryDelayMs(a) / 60_000)).toEqual([1, 1, 2, 4, 8, 16, 30, 30]);
  });
});
