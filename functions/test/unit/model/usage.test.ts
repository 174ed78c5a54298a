/** model/usage.ts: estimated cost of provider calls. */
import { describe, expect, it } from "vitest";
import { estimateCost, totalCostUsd, type PriceTable } from "../../../src/model/usage.js";

const prices: PriceTable = {
  fal_audio_second: 0.001,
  openai_chat_input_token: 1e-6,
  openai_chat_output_token: 4e-6,
  openai_embedding_token: 1e-7,
  hume_audio_second: 0.002,
};
const base = { model: "m", stage: "reprocess" as const, request_id: null, at: "2026-11-30T00:00:00Z" };

describe("estimateCost", () => {
  it("prices audio seconds and tokens by provider and kind", () => {
    expect(estimateCost({ ...base, provider: "fal", kind: "transcription", audio_seconds: 60 }, prices)).toBeCloseTo(
      0.06,
    );
    expect(estimateCost({ ...base, provider: "hume", kind: "expression", audio_seconds: 10 }, prices)).toBeCloseTo(
      0.02,
    );
    expect(
      estimateCost({ ...base, provider: "openai", kind: "chat", input_tokens: 1000, output_tokens: 100 }, prices),
    ).toBeCloseTo(0.0014);
    expect(estimateCost({ ...base, provider: "openai", kind: "embedding", input_tokens: 1000 }, prices)).toBeCloseTo(
      0.0001,
    );
  });
  it("sums a job's calls", () => {
    const call = { ...base, provider: "fal" as const, kind: "transcription" as const, estimated_cost_usd: 0.5 };
    expect(totalCostUsd({ calls: { a: call, b: { ...call, estimated_cost_usd: 0.25 } } })).toBe(0.75);
    expect(totalCostUsd(undefined)).toBe(0);
  });
});
