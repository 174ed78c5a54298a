/** The text-embedder role: one vector per text, for the memory's vector and for search queries. */
import type { ProviderCall } from "../../model/usage.js";

export interface TextEmbedding {
  vector: number[];
  calls: Omit<ProviderCall, "estimated_cost_usd" | "stage">[];
}

export interface TextEmbedder {
  /** Vectors of different models (or dimensions) are never compared. */
  readonly modelId: string;
  readonly dimensions: number;
  embed(text: string): Promise<TextEmbedding>;
}
