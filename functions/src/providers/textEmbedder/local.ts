/**
 * The offline text embedder: a deterministic hashed bag of word unigrams, word bigrams and character trigrams
 * (signed feature hashing, log term frequency), L2-normalised. No semantics, only shared words and spellings, but
 * stable across runs and machines and good enough to find a memory by a phrase from it.
 */
import type { TextEmbedder, TextEmbedding } from "./types.js";

export const LOCAL_EMBEDDER_MODEL = "local:hashed-ngrams-v1";

/** FNV-1a, 32 bit. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The features of a text: words, adjacent word pairs, and trigrams of each padded word. */
export function features(text: string): string[] {
  const words =
    text
      .toLowerCase()
      .normalize("NFKC")
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const out: string[] = [];
  words.forEach((w, i) => {
    out.push(`w:${w}`);
    if (i > 0) out.push(`b:${words[i - 1]} ${w}`);
    const padded = `^${w}$`;
    for (let j = 0; j + 3 <= padded.length; j++) out.push(`c:${padded.slice(j, j + 3)}`);
  });
  return out;
}

export function hashedVector(text: string, dimensions: number): number[] {
  const counts = new Map<string, number>();
  for (const f of features(text)) counts.set(f, (counts.get(f) ?? 0) + 1);
  const vector = new Array<number>(dimensions).fill(0);
  for (const [feature, count] of counts) {
    const h = fnv1a(feature);
    // Word features weigh more than trigrams: a shared word says more than a shared spelling.
    const weight = (feature.startsWith("c:") ? 0.5 : 1) * (1 + Math.log(count));
    vector[h % dimensions] += h & 0x80000000 ? -weight : weight;
  }
  const norm = Math.hypot(...vector);
  return norm === 0 ? vector : vector.map((v) => v / norm);
}

export class LocalTextEmbedder implements TextEmbedder {
  readonly modelId = LOCAL_EMBEDDER_MODEL;
  readonly encoding = null;
  constructor(readonly dimensions: number) {}

  async embed(text: string): Promise<TextEmbedding> {
    return { vector: hashedVector(text, this.dimensions), calls: [] };
  }
}
