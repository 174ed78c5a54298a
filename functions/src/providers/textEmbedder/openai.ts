/**
 * OpenAI embeddings (e.g. text-embedding-3-small), asked for the configured number of dimensions (≤ 2048, the most a
 * Firestore vector holds). Its input limit (8191 tokens) is counted in cl100k_base, the tokenizer of the
 * text-embedding-3 models; the stage cuts the text to EMBEDDING_TOKEN_BUDGET in it.
 */
import { assertTimeFor } from "../../errors.js";
import { classifyOpenAIError, openaiClient, openaiRequestBudgetMs, type OpenAISettings } from "../openaiClient.js";
import type { TextEmbedder, TextEmbedding } from "./types.js";

export class OpenAITextEmbedder implements TextEmbedder {
  readonly modelId: string;
  readonly encoding = "cl100k_base" as const;

  constructor(
    private readonly settings: OpenAISettings & { model: string },
    readonly dimensions: number,
  ) {
    this.modelId = `openai:${settings.model}`;
  }

  async embed(text: string, opts: { deadline?: Date } = {}): Promise<TextEmbedding> {
    assertTimeFor(opts.deadline, openaiRequestBudgetMs(this.settings), "an OpenAI embeddings request");
    const client = await openaiClient(this.settings);
    let response;
    let requestId: string | null;
    try {
      const { data, request_id } = await client.embeddings
        .create({ model: this.settings.model, input: text, dimensions: this.dimensions })
        .withResponse();
      response = data;
      requestId = request_id;
    } catch (err) {
      throw classifyOpenAIError(err, "embeddings");
    }
    const call = {
      provider: "openai" as const,
      kind: "embedding" as const,
      model: response.model || this.settings.model,
      request_id: requestId,
      input_tokens: response.usage?.prompt_tokens ?? 0,
      at: new Date().toISOString(),
    };
    const vector = response.data[0]?.embedding;
    if (!vector || vector.length !== this.dimensions || !vector.every(Number.isFinite)) {
      // Billed all the same: the failure carries the call for the ledger.
      const failure = classifyOpenAIError(
        Object.assign(
          new Error(`expected one ${this.dimensions}-dimension embedding, got ${vector?.length ?? "none"}`),
          { status: 502 },
        ),
        "embeddings",
      );
      throw Object.assign(failure, { calls: [call] });
    }
    return { vector, calls: [call] };
  }
}
