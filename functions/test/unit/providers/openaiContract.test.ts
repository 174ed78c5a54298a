/**
 * The OpenAI adapters against the OpenAI stand-in (test/support/fakeOpenAI.ts), which checks requests as OpenAI's
 * docs say OpenAI does: the extractor's strict response format is one OpenAI accepts, the embedder decodes the base64
 * encoding the SDK asks for, and each check is shown to refuse what OpenAI refuses, so this test can fail.
 */
import { countTokens as countCl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenAIExtractor } from "../../../src/providers/extractor/openai.js";
import { OpenAITextEmbedder } from "../../../src/providers/textEmbedder/openai.js";
import { FAKE_OPENAI_PORT, FakeOpenAI, pseudoEmbedding, strictSchemaProblem } from "../../support/fakeOpenAI.js";

const openai = new FakeOpenAI();
beforeAll(() => openai.start());
afterAll(() => openai.stop());
const settings = {
  apiKey: "sk-test",
  baseURL: `http://127.0.0.1:${FAKE_OPENAI_PORT}/v1`,
  timeoutMs: 5000,
  maxRetries: 0,
};

describe("OpenAI's strict structured outputs", () => {
  it("accepts the extractor's response format, as sent", async () => {
    openai.reset();
    const extractor = new OpenAIExtractor({ ...settings, model: "gpt-5-mini" });
    const extraction = await extractor.extract({
      lines: [{ speaker: "Sam", text: "Let us meet on Friday at three to review the survey.", start: 0 }],
      language: "en",
      startedAt: new Date("2026-11-25T14:00:00Z"),
      userName: "Sam",
    });
    const [chat] = openai.chats();
    expect(chat.status).toBe(200);
    const format = chat.body.response_format as { json_schema: { name: string; strict: boolean; schema: unknown } };
    expect(format.json_schema.strict).toBe(true);
    expect(strictSchemaProblem(format.json_schema.name, format.json_schema.schema)).toBeNull();
    expect(extraction.calls).toHaveLength(1);
  });

  it("refuses what OpenAI refuses: optional properties, open objects, unsupported keywords", () => {
    const object = (extra: Record<string, unknown>) => ({
      type: "object",
      additionalProperties: false,
      properties: { title: { type: "string" }, note: { type: "string" } },
      required: ["title", "note"],
      ...extra,
    });
    expect(strictSchemaProblem("s", object({}))).toBeNull();
    expect(strictSchemaProblem("s", object({ required: ["title"] }))).toMatch(/Missing 'note'/);
    expect(strictSchemaProblem("s", object({ additionalProperties: true }))).toMatch(
      /'additionalProperties' is required to be supplied and to be false/,
    );
    expect(
      strictSchemaProblem(
        "s",
        object({ properties: { title: { type: "string", maxLength: 80 }, note: { type: "string" } } }),
      ),
    ).toMatch(/'maxLength' is not permitted/);
    expect(strictSchemaProblem("s", { type: "array", items: { type: "string" } })).toMatch(/type: "object"/);
  });
});

describe("OpenAI embeddings", () => {
  it("decodes the base64 floats the SDK asks for by default", async () => {
    openai.reset();
    const embedder = new OpenAITextEmbedder({ ...settings, model: "text-embedding-3-small" }, 64);
    const { vector, calls } = await embedder.embed("planning the release");
    const [request] = openai.embeddings();
    expect(request.body.encoding_format).toBe("base64");
    expect(vector).toEqual(Array.from(Float32Array.from(pseudoEmbedding("planning the release", 64))));
    expect(calls[0]).toMatchObject({
      kind: "embedding",
      input_tokens: countCl100k("planning the release"),
      request_id: expect.stringMatching(/^req_/),
    });
  });

  it("is refused, as OpenAI refuses it, past 8192 tokens", async () => {
    openai.reset();
    const embedder = new OpenAITextEmbedder({ ...settings, model: "text-embedding-3-small" }, 64);
    await expect(embedder.embed("Veröffentlichung ".repeat(3000))).rejects.toMatchObject({
      code: "openai_rejected",
      message: expect.stringMatching(/maximum context length is 8192 tokens/),
    });
  });
});
