/**
 * `npm run bench` (reprocess): the local extractor, the local text embedder and the tokenizer cut on a 30 k-word
 * transcript (about three hours of talk), medians of several runs. Writes bench-results/reprocess.json. Figures only.
 */
import { writeBenchFigure } from "../test/support/benchFigures.js";
import { it } from "vitest";
import { extractStructure } from "../src/providers/extractor/local.js";
import { LocalTextEmbedder } from "../src/providers/textEmbedder/local.js";
import { cutToTokenBudget, renderTranscript } from "../src/transcript/tokenBudget.js";
import type { NamedLine } from "../src/transcript/namedLines.js";

const SENTENCES = [
  "I think we should start the project next week if the budget is approved.",
  "That sounds reasonable, but we need to check with the design team first.",
  "Can you send me the numbers from the customer survey before Friday?",
  "Sure, I will put them in a short report with the most important findings.",
  "Let's have a review meeting on Thursday at 3pm to go through the report.",
  "The last release had a few problems with the mobile application on older phones.",
  "We should also talk about hiring another engineer for the platform team.",
  "My daughter has a football match on Saturday morning so I will leave early.",
];

function transcript(words: number): NamedLine[] {
  const lines: NamedLine[] = [];
  let count = 0;
  for (let i = 0; count < words; i++) {
    const text = SENTENCES[i % SENTENCES.length];
    lines.push({ speaker: i % 3 === 0 ? "Sam" : i % 3 === 1 ? "Alice" : "Speaker 1", text, start: i * 4 });
    count += text.split(" ").length;
  }
  return lines;
}

async function medianMs(runs: number, work: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return Number(times.sort((a, b) => a - b)[Math.floor(runs / 2)].toFixed(1));
}

it("local reprocess on a 30 k-word transcript", { timeout: 600_000 }, async () => {
  const lines = transcript(30_000);
  const words = lines.reduce((n, l) => n + l.text.split(" ").length, 0);
  const text = renderTranscript(lines);
  const startedAt = new Date("2026-11-25T14:00:00Z");
  const embedder = new LocalTextEmbedder(1536);
  await cutToTokenBudget(lines.slice(0, 10), 100); // load the tokenizer's tables once, outside the figures
  const cut = await cutToTokenBudget(lines, 12_000);
  const result = {
    what: "local reprocess pieces on a generated 3-speaker transcript",
    transcriptWords: words,
    transcriptTokens: cut.cut.tokens,
    localExtractionMedianMs: await medianMs(5, () =>
      extractStructure({ lines, language: "en", startedAt, userName: "Sam" }),
    ),
    localEmbeddingMedianMs: await medianMs(5, () => embedder.embed(text)),
    embeddingDimensions: 1536,
    tokenizerCutTo12kTokensMedianMs: await medianMs(5, () => cutToTokenBudget(lines, 12_000)),
    tokenizerCutKeptLines: cut.cut.keptLines,
    tokenizerCutTotalLines: cut.cut.totalLines,
  };
  console.log(JSON.stringify(result, null, 2));
  await writeBenchFigure("reprocess.json", result, true);
});
