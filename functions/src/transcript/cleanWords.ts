/**
 * Cleaning a transcriber's words before grouping: drop empty words, keep times monotonic, and give every word a
 * speaker (a missing label takes the label of the nearest labelled word in time). Linear time.
 */
import type { Word } from "../model/transcript.js";

export function cleanWords(words: Word[]): Word[] {
  const out: Word[] = [];
  let lastStart = 0;
  for (const w of words) {
    const text = w.text.trim();
    if (!text || !Number.isFinite(w.start)) continue;
    const start = Math.max(w.start, lastStart);
    const end = Math.max(Number.isFinite(w.end) ? w.end : start, start);
    out.push({ ...w, text, start, end });
    lastStart = start;
  }
  fillMissingSpeakers(out);
  return out;
}

/** Two passes: the nearest labelled word before and after each word, then the closer of the two wins. */
function fillMissingSpeakers(words: Word[]): void {
  const before = new Array<number | null>(words.length).fill(null);
  let last: number | null = null;
  for (let i = 0; i < words.length; i++) {
    if (words[i].speaker) last = i;
    before[i] = last;
  }
  let next: number | null = null;
  for (let i = words.length - 1; i >= 0; i--) {
    if (words[i].speaker) {
      next = i;
      continue;
    }
    const b = before[i];
    const gapBefore = b === null ? Infinity : words[i].start - words[b].end;
    const gapAfter = next === null ? Infinity : words[next].start - words[i].end;
    const source = gapBefore <= gapAfter ? b : next;
    words[i].speaker = source === null || source === undefined ? "SPEAKER_00" : words[source].speaker;
  }
}
