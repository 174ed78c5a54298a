/** transcript/tokenBudget.ts: cutting a transcript to a token budget with the real tokenizer. */
import { encode } from "gpt-tokenizer";
import { describe, expect, it } from "vitest";
import { countTokens, cutToTokenBudget, embeddingText, renderTranscript } from "../../../src/transcript/tokenBudget.js";

const lines = Array.from({ length: 200 }, (_, i) => ({
  speaker: i % 2 ? "Alice" : "Sam",
  text: `This is sentence number ${i} about the quarterly planning of the mobile release.`,
  start: i * 3,
}));

describe("cutToTokenBudget", () => {
  it("keeps everything that fits, and says so", async () => {
    const { lines: kept, cut } = await cutToTokenBudget(lines.slice(0, 5), 10_000);
    expect(kept).toHaveLength(5);
    expect(cut).toMatchObject({ cut: false, keptLines: 5, totalLines: 5 });
    expect(cut.tokens).toBe(cut.keptTokens);
  });

  it("keeps whole lines from the start within the budget, counted by the o200k tokenizer", async () => {
    const budget = 500;
    const { lines: kept, cut } = await cutToTokenBudget(lines, budget);
    expect(cut.cut).toBe(true);
    expect(kept).toEqual(lines.slice(0, kept.length));
    expect(encode(renderTranscript(kept)).length).toBeLessThanOrEqual(budget);
    // One more line would not have fitted.
    expect(encode(renderTranscript(lines.slice(0, kept.length + 1))).length + kept.length + 1).toBeGreaterThan(budget);
    expect(cut.tokens).toBeGreaterThan(5 * budget);
    expect(cut.keptTokens).toBeLessThanOrEqual(budget);
  });

  it("cuts a single line that alone is over the budget", async () => {
    const long = [{ speaker: "Sam", text: "word ".repeat(1000), start: 0 }];
    const { lines: kept, cut } = await cutToTokenBudget(long, 50);
    expect(kept).toHaveLength(1);
    expect(await countTokens(renderTranscript(kept))).toBeLessThanOrEqual(51);
    expect(cut.cut).toBe(true);
  });
});

describe("embeddingText", () => {
  const german = Array.from({ length: 600 }, (_, i) => ({
    speaker: i % 2 ? "Alice" : "Sam",
    text: "Wir haben über die Veröffentlichung der mobilen Anwendung gesprochen und die Umfrage besprochen.",
    start: i,
  }));

  it("fits the whole text, title and overview included, in the embedding model's own tokenizer", async () => {
    const header = ["Release planning", "Sam and Alice planned the release. ".repeat(20)];
    const { text, tokens, cut } = await embeddingText(header, german, 8000, "cl100k_base");
    expect(tokens).toBe(await countTokens(text, "cl100k_base"));
    expect(tokens).toBeLessThanOrEqual(8000);
    expect(tokens).toBeGreaterThan(0.95 * 8000); // whole lines: the budget is used, not wasted
    expect(text.startsWith(`${header[0]}\n\n${header[1]}\n\n`)).toBe(true);
    expect(cut.cut).toBe(true);
    // Counted in o200k instead (the chat models' tokenizer), the same text looks far smaller: that was the bug.
    expect(await countTokens(text, "o200k_base")).toBeLessThan(0.8 * tokens);
  });

  it("cuts even a header that alone is over the budget", async () => {
    const { text, tokens } = await embeddingText(["word ".repeat(5000)], german, 1000, "cl100k_base");
    expect(tokens).toBeLessThanOrEqual(1000);
    expect(text.length).toBeGreaterThan(0);
  });
});
