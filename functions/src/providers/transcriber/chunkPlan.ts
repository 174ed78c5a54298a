/**
 * Where to cut a long recording so each piece fits one invocation: at most `maxChunkS` per piece, cut in the middle
 * of the longest silence in the piece's second half (never inside speech when a silence exists). Pure.
 */
import type { SpeechRegion } from "../../model/transcript.js";

export function planChunks(durationS: number, speech: SpeechRegion[], maxChunkS: number): number[] {
  const boundaries = [0];
  let start = 0;
  while (durationS - start > maxChunkS) {
    const limit = start + maxChunkS;
    let best: { at: number; gap: number } | null = null;
    for (let i = 0; i + 1 < speech.length; i++) {
      const gapStart = speech[i].end;
      const gapEnd = speech[i + 1].start;
      const at = (gapStart + gapEnd) / 2;
      if (at <= start + maxChunkS / 2 || at >= limit) continue;
      if (!best || gapEnd - gapStart > best.gap) best = { at, gap: gapEnd - gapStart };
    }
    start = best?.at ?? limit;
    boundaries.push(start);
  }
  boundaries.push(durationS);
  return boundaries;
}
