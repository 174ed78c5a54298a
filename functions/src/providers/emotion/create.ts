/** Builds the emotion analyzer from configuration (docs/emotion.md "Analyzers"). */
import type { Config } from "../../config.js";
import { chooseAdapter } from "../choose.js";
import type { EmotionAnalyzer } from "./types.js";

export async function createEmotionAnalyzer(config: Config, humeKey: string): Promise<EmotionAnalyzer> {
  if (chooseAdapter(config.emotionAnalyzer, humeKey, "hume") === "hume") {
    const [{ HumeEmotionAnalyzer }, { HUME_MAX_REQUEST_BYTES }] = await Promise.all([
      import("./hume.js"),
      import("./humeClient.js"),
    ]);
    const settings = {
      apiKey: humeKey,
      baseUrl: config.humeBaseUrl,
      timeoutMs: config.humeTimeoutMs,
      retries: config.humeMaxRetries,
    };
    return new HumeEmotionAnalyzer(settings, {
      maxRequestBytes: Math.min(config.humeMaxRequestBytes, HUME_MAX_REQUEST_BYTES),
      maxSpeechSeconds: config.emotionMaxSpeechSeconds,
    });
  }
  const { LocalTextEmotionAnalyzer } = await import("./local.js");
  return new LocalTextEmotionAnalyzer();
}
