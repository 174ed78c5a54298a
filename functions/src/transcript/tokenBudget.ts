/**
 * Cutting a transcript to a token budget with a real tokenizer (o200k_base, the encoding of OpenAI's current models,
 * from gpt-tokenizer), never a character guess. Lines are kept from the start; the cut is reported so it can be
 * recorded.
 * The tokenizer's tables are large, so they are loaded on first use.
 */
import type { NamedLine } from "./namedLines.js";

export interface TokenCut {
  /** Tokens of the whole rendered transcript. */
  tokens: number;
  /** Tokens of what was kept. */
  keptTokens: number;
  keptLines: number;
  totalLines: number;
  cut: boolean;
}

const tokenizer = () => import("gpt-tokenizer");

export async function countTokens(text: string): Promise<number> {
  return (await tokenizer()).countTokens(text);
}

/** The first lines whose rendering fits in `budget` tokens (at least one line, itself cut if it alone is too long). */
export async function cutToTokenBudget(
  lines: NamedLine[],
  budget: number,
): Promise<{ lines: NamedLine[]; cut: TokenCut }> {
  const { countTokens: count, encode, decode } = await tokenizer();
  const sizes = lines.map((l) => count(renderLine(l)) + 1);
  const total = sizes.reduce((a, b) => a + b, 0);
  let kept = 0;
  let used = 0;
  while (kept < lines.length && used + sizes[kept] <= budget) used += sizes[kept++];
  let keptLines = lines.slice(0, kept);
  if (kept === 0 && lines.length) {
    const first = lines[0];
    const text = decode(encode(first.text).slice(0, Math.max(1, budget - count(`${first.speaker}: `) - 1)));
    keptLines = [{ ...first, text }];
    used = count(renderLine(keptLines[0])) + 1;
  }
  return {
    lines: keptLines,
    cut: { tokens: total, keptTokens: used, keptLines: keptLines.length, totalLines: lines.length, cut: used < total },
  };
}

/** `Name: text` — how a line is shown to a model. */
export const renderLine = (l: NamedLine) => `${l.speaker}: ${l.text}`;
export const renderTranscript = (lines: NamedLine[]) => lines.map(renderLine).join("\n");
