/** Builds the text embedder from configuration (README "Memory vectors and search"). */
import type { Config } from "../../config.js";
import { chooseAdapter } from "../choose.js";
import type { TextEmbedder } from "./types.js";

export async function createTextEmbedder(config: Config, openaiKey: string): Promise<TextEmbedder> {
  if (chooseAdapter(config.textEmbedder, openaiKey, "openai") === "openai") {
    const { OpenAITextEmbedder } = await import("./openai.js");
    const settings = {
      apiKey: openaiKey,
      baseURL: config.openaiBaseUrl,
      timeoutMs: config.openaiTimeoutMs,
      maxRetries: config.openaiMaxRetries,
      model: config.embeddingModel,
    };
    return new OpenAITextEmbedder(settings, config.embeddingDimensions);
  }
  const { LocalTextEmbedder } = await import("./local.js");
  return new LocalTextEmbedder(config.embeddingDimensions);
}
