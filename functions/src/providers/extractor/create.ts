/** Builds the extractor from configuration (docs/extraction-and-search.md "Structure extraction"). */
import type { Config } from "../../config.js";
import { chooseAdapter } from "../choose.js";
import type { Extractor } from "./types.js";

export async function createExtractor(config: Config, openaiKey: string): Promise<Extractor> {
  if (chooseAdapter(config.extractor, openaiKey, "openai") === "openai") {
    const { OpenAIExtractor } = await import("./openai.js");
    return new OpenAIExtractor({
      apiKey: openaiKey,
      baseURL: config.openaiBaseUrl,
      timeoutMs: config.openaiTimeoutMs,
      maxRetries: config.openaiMaxRetries,
      model: config.openaiModel,
    });
  }
  const { LocalExtractor } = await import("./local.js");
  return new LocalExtractor();
}
