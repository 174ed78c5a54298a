/** Builds the text embedder from configuration (docs/extraction-and-search.md "Memory vectors and search"). */
import type { Config } from "../../config.js";
import { chooseAdapter } from "../choose.js";
import type { TextEmbedder } from "./types.js";

/**
 * Search queries are embedded inside an API request (120 s): one short attempt, no retry (the app may ask again),
 * so the request ends well before the function does.
 */
export const API_EMBEDDER_LIMITS = { timeoutMs: 20_000, maxRetries: 0 };

export async function createTextEmbedder(
  config: Config,
  openaiKey: string,
  limits?: { timeoutMs: number; maxRetries: number },
): Promise<TextEmbedder> {
  if (chooseAdapter(config.textEmbedder, openaiKey, "openai") === "openai") {
    const { OpenAITextEmbedder } = await import("./openai.js");
    const settings = {
      apiKey: openaiKey,
      baseURL: config.openaiBaseUrl,
      timeoutMs: Math.min(config.openaiTimeoutMs, limits?.timeoutMs ?? Infinity),
      maxRetries: Math.min(config.openaiMaxRetries, limits?.maxRetries ?? Infinity),
      model: config.embeddingModel,
    };
    return new OpenAITextEmbedder(settings, config.embeddingDimensions);
  }
  const { LocalTextEmbedder } = await import("./local.js");
  return new LocalTextEmbedder(config.embeddingDimensions);
}
