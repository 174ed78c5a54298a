/**
 * The job's cost ledger (`postprocessing.usage`): per stage, our wall time and attempts; per paid provider call, what
 * it was billed on (audio seconds, tokens) and an estimated cost from the price table (config PRICES_USD).
 */
import { z } from "zod";

export const providerCallSchema = z.object({
  provider: z.enum(["fal", "openai", "hume"]),
  kind: z.enum(["transcription", "chat", "embedding", "expression"]),
  model: z.string(),
  /** The stage that paid for it (pipeline/definition.ts). */
  stage: z.string(),
  request_id: z.string().nullable(),
  audio_seconds: z.number().optional(),
  input_tokens: z.number().optional(),
  output_tokens: z.number().optional(),
  estimated_cost_usd: z.number(),
  at: z.string(),
});
export type ProviderCall = z.infer<typeof providerCallSchema>;

export const stageUsageSchema = z.looseObject({
  /** Time our functions spent on the stage, over all invocations (chunks, retries). */
  wall_ms: z.number().optional(),
  /** For a queued provider: from submit to result. */
  queue_ms: z.number().optional(),
});

export const usageSchema = z.looseObject({
  stages: z.record(z.string(), stageUsageSchema.optional()).optional(),
  /** Keyed by a call id, so a retried write records a call once. */
  calls: z.record(z.string(), providerCallSchema).optional(),
});
export type Usage = z.infer<typeof usageSchema>;

/** USD per billing unit, as configured. */
export const priceTableSchema = z.strictObject({
  fal_audio_second: z.number().nonnegative(),
  openai_chat_input_token: z.number().nonnegative(),
  openai_chat_output_token: z.number().nonnegative(),
  openai_embedding_token: z.number().nonnegative(),
  hume_audio_second: z.number().nonnegative(),
});
export type PriceTable = z.infer<typeof priceTableSchema>;

/** What a call costs by the price table. Pure. */
export function estimateCost(call: Omit<ProviderCall, "estimated_cost_usd">, prices: PriceTable): number {
  const audio = call.audio_seconds ?? 0;
  const input = call.input_tokens ?? 0;
  const output = call.output_tokens ?? 0;
  switch (call.provider) {
    case "fal":
      return audio * prices.fal_audio_second;
    case "hume":
      return audio * prices.hume_audio_second;
    case "openai":
      return call.kind === "embedding"
        ? input * prices.openai_embedding_token
        : input * prices.openai_chat_input_token + output * prices.openai_chat_output_token;
  }
}

export const totalCostUsd = (usage: Usage | undefined) =>
  Object.values(usage?.calls ?? {}).reduce((sum, c) => sum + c.estimated_cost_usd, 0);
