/**
 * OpenAI embeddings (e.g. text-embedding-3-small), asked for the configured number of dimensions (≤ 2048, the most a
 * Firestore vector holds).
 */
import { classifyOpenAIError, openaiClient, type OpenAISettings } from "../openaiClient.js";
import type { TextEmbedder, TextEmbedding } from "./types.js";

export class OpenAITextEmbedder implements TextEmbedder {
  readonly modelId: string;

  constructor(
    private readonly settings: OpenAISettings & { model: string },
    readonly dimensions: number,
  ) {
    this.modelId = `openai:${settings.model}`;
  }

  async embed(text: string): Promise<TextEmbedding> {
    const client = await openaiClient(this.settings);
    let response;
    try {
      response = await client.embeddings.create({
        model: this.settings.model,
        input: text,
        dimensions: this.dimensions,
      });
    } catch (err) {
      throw classifyOpenAIError(err, "embeddings");
    }
    const vector = response.data[0]?.embedding;
    if (!vector || vector.length !== this.dimensions || !vector.every(Number.isFinite)) {
      throw classifyOpenAIError(
        Object.assign(
          new Error(`expected one ${this.dimensions}-dimension embedding, got ${vector?.length ?? "none"}`),
          {
            status: 502,
          },
        ),
        "embeddings",
      );
    }
    return {
      vector,
      calls: [
        {
          provider: "openai",
          kind: "embedding",
          model: response.model || this.settings.model,
          request_id: null,
          input_tokens: response.usage?.prompt_tokens ?? 0,
          at: new Date().toISOString(),
        },
      ],
    };
  }
}
