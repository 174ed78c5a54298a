/** Attaching diarization turns (who spoke when) to transcribed words. */
import type { SpeakerTurn, Word } from "../model/transcript.js";

/**
 * Gives each word the speaker of the turn it overlaps most, or of the nearest turn when it overlaps none (a word in
 * a pause). Both lists must be sorted by start time; one pass over each, so long recordings stay linear.
 */
export function assignSpeakers(words: Word[], turns: SpeakerTurn[]): Word[] {
  if (turns.length === 0) return words.map((w) => ({ ...w, speaker: null }));
  let first = 0; // turns before `first` end before the current word starts, and so before every later word
  let latestEnded: SpeakerTurn | null = null; // of those, the one that ended last
  return words.map((word) => {
    while (first < turns.length && turns[first].end <= word.start) {
      const t = turns[first++];
      if (!latestEnded || t.end >= latestEnded.end) latestEnded = t;
    }
    let best: SpeakerTurn | null = null;
    let bestOverlap = 0;
    let bestGap = latestEnded ? word.start - latestEnded.end : Infinity;
    let nearest = latestEnded;
    for (let j = first; j < turns.length; j++) {
      const t = turns[j];
      const overlap = Math.min(word.end, t.end) - Math.max(word.start, t.start);
      const gap = Math.max(t.start - word.end, word.start - t.end, 0);
      if (overlap > bestOverlap) [best, bestOverlap] = [t, overlap];
      if (gap < bestGap) [nearest, bestGap] = [t, gap];
      if (t.start >= word.end) break; // later turns start later still: no overlap, and further away
    }
    return { ...word, speaker: (best ?? nearest)!.speaker };
  });
}
