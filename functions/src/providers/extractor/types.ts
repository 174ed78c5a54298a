/**
 * The extractor role: the memory's structure (title, overview, emoji, category, action items, events) from its
 * transcript. Extractors get the transcript already rendered with names and cut to the token budget.
 */
import type { Structured } from "../../model/structured.js";
import type { ProviderCall } from "../../model/usage.js";
import type { NamedLine } from "../../transcript/namedLines.js";

export type { NamedLine };

export interface ExtractionRequest {
  lines: NamedLine[];
  /** The memory's language (ISO 639-1) or null when unknown; the answer is in this language. */
  language: string | null;
  /** When the conversation started: relative dates ("on Thursday") are resolved against it. */
  startedAt: Date;
  /** The user's own name as it appears in `lines`. */
  userName: string;
  /** Each request (with its retries) must fit before it, else DeadlineReached is thrown before sending it. */
  deadline?: Date;
}

export interface Extraction {
  structured: Structured;
  /** Which extractor and model produced it, e.g. "openai:gpt-5-mini" or "local:extractive-v1". */
  modelId: string;
  /** Paid calls made (for the job's ledger), without their cost; empty for local extractors. */
  calls: Omit<ProviderCall, "estimated_cost_usd" | "stage">[];
}

export interface Extractor {
  readonly modelId: string;
  /**
   * Throws a permanent PipelineError when the provider refuses or keeps answering with invalid output (the stage
   * then keeps the memory's old structure and records a warning), a transient one when retrying may help.
   */
  extract(request: ExtractionRequest): Promise<Extraction>;
}
