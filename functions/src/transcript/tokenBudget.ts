/**
 * Cutting a transcript to a token budget with the model's own tokenizer (from gpt-tokenizer), never a character
 * guess: o200k_base for OpenAI's current chat models, cl100k_base for its embedding models (text-embedding-3-*).
 * Lines are kept from the start; the cut is reported so it can be recorded. The tokenizer's tables are large, so they
 * are loaded on first use.
 */
import type { NamedLine } from "./namedLines.js";

export type Encoding = "o200k_base" | "cl100k_base";

export interface TokenCut {
  /** Tokens of the whole rendered transcript. */
  tokens: number;
  /** Tokens of what was kept. */
  keptTokens: number;
  keptLines: number;
  totalLines: number;
  cut: boolean;
}

interface Tokenizer {
  countTokens: (text: string) => number;
  encode: (text: string) => number[];
  decode: (tokens: number[]) => string;
}

const tokenizer = (encoding: Encoding): Promise<Tokenizer> =>
  encoding === "cl100k_base"
    ? import("gpt-tokenizer/encoding/cl100k_base")
    : import("gpt-tokenizer/encoding/o200k_base");

export async function countTokens(text: string, encoding: Encoding = "o200k_base"): Promise<number> {
  return (await tokenizer(encoding)).countTokens(text);
}

/** The first lines whose rendering fits in `budget` tokens (at least one line, itself cut if it alone is too long). */
export async function cutToTokenBudget(
  lines: NamedLine[],
  budget: number,
  encoding: Encoding = "o200k_base",
): Promise<{ lines: NamedLine[]; cut: TokenCut }> {
  const { countTokens: count, encode, decode } = await tokenizer(encoding);
  // Each line after the first also costs its newline.
  const sizes = lines.map((l) => count(renderLine(l)) + 1);
  const total = sizes.reduce((a, b) => a + b, 0);
  let kept = 0;
  let used = 0;
  while (kept < lines.length && used + sizes[kept] <= budget) used += sizes[kept++];
  let keptLines = lines.slice(0, kept);
  if (kept === 0 && lines.length && budget > 0) {
    const first = lines[0];
    const room = Math.max(1, budget - count(`${first.speaker}: `) - 1);
    const text = decode(encode(first.text).slice(0, room));
    keptLines = [{ ...first, text }];
    used = count(renderLine(keptLines[0])) + 1;
  }
  return {
    lines: keptLines,
    cut: { tokens: total, keptTokens: used, keptLines: keptLines.length, totalLines: lines.length, cut: used < total },
  };
}

/**
 * The text a memory is embedded from (its title, overview and transcript, blank-line separated), cut so that the
 * whole of it, header included, fits `budget` tokens of `encoding`: the embedding model refuses longer input.
 */
export async function embeddingText(
  header: (string | null | undefined)[],
  lines: NamedLine[],
  budget: number,
  encoding: Encoding,
): Promise<{ text: string; tokens: number; cut: TokenCut }> {
  const { countTokens: count } = await tokenizer(encoding);
  const head = header.filter((h): h is string => !!h?.trim()).join("\n\n");
  // The header's tokens, and the blank line joining it to the transcript, come off the transcript's budget.
  const reserved = head ? count(`${head}\n\n`) : 0;
  const { lines: kept, cut } = await cutToTokenBudget(lines, Math.max(0, budget - reserved), encoding);
  const text = [head, renderTranscript(kept)].filter(Boolean).join("\n\n");
  let tokens = count(text);
  // A header longer than the whole budget (a runaway overview) is cut too; tokens are counted again after decoding,
  // since a cut can tokenize differently at its edge.
  let final = text;
  if (tokens > budget) {
    const { encode, decode } = await tokenizer(encoding);
    const encoded = encode(text);
    for (let n = budget; tokens > budget && n > 0; n--) {
      final = decode(encoded.slice(0, n));
      tokens = count(final);
    }
  }
  return { text: final, tokens, cut };
}

/** `Name: text` — how a line is shown to a model. */
export const renderLine = (l: NamedLine) => `${l.speaker}: ${l.text}`;
export const renderTranscript = (lines: NamedLine[]) => lines.map(renderLine).join("\n");
