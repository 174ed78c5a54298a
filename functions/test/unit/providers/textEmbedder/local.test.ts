/** providers/textEmbedder/local.ts: deterministic hashed n-gram vectors. */
import { describe, expect, it } from "vitest";
import { hashedVector, LocalTextEmbedder } from "../../../../src/providers/textEmbedder/local.js";
import { cosineSimilarity } from "../../../../src/speaker/similarity.js";

const cos = (a: number[], b: number[]) => cosineSimilarity(Float32Array.from(a), Float32Array.from(b));

describe("LocalTextEmbedder", () => {
  it("is deterministic, unit length and of the configured size", async () => {
    const embedder = new LocalTextEmbedder(256);
    const a = await embedder.embed("The quarterly budget review");
    const b = await embedder.embed("The quarterly budget review");
    expect(a.vector).toEqual(b.vector);
    expect(a.vector).toHaveLength(256);
    expect(Math.hypot(...a.vector)).toBeCloseTo(1, 6);
    expect(a.calls).toEqual([]);
    expect(embedder.modelId).toBe("local:hashed-ngrams-v1");
  });
  it("puts texts that share words closer than unrelated ones", () => {
    const memory = hashedVector("We talked about the mobile release budget and the customer survey numbers", 512);
    const query = hashedVector("customer survey", 512);
    const unrelated = hashedVector("Grandma's recipe for apple pie with cinnamon", 512);
    expect(cos(memory, query)).toBeGreaterThan(cos(unrelated, query) + 0.2);
  });
  it("gives an empty text a zero vector rather than NaN", () => {
    expect(hashedVector("", 8)).toEqual(new Array(8).fill(0));
  });
});
