/** The text-embedder role: one vector per text, for the memory's vector and for search queries. */
import type { ProviderCall } from "../../model/usage.js";
import type { Encoding } from "../../transcript/tokenBudget.js";

export interface TextEmbedding {
  vector: number[];
  calls: Omit<ProviderCall, "estimated_cost_usd" | "stage">[];
}

export interface TextEmbedder {
  /** Vectors of different models (or dimensions) are never compared. */
  readonly modelId: string;
  readonly dimensions: number;
  /** The model's tokenizer, which its input limit is counted in; null when it has no limit. */
  readonly encoding: Encoding | null;
  /**
   * `deadline`: the request (with its retries) must fit before it, else DeadlineReached is thrown before sending.
   */
  embed(text: string, opts?: { deadline?: Date }): Promise<TextEmbedding>;
}
