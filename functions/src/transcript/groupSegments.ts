/**
 * Consecutive words of one speaker become one TranscriptSegment while the pause stays under `maxGapS` and the
 * segment under `maxSegmentS`. Linear time; words must be cleaned (sorted, labelled) first.
 */
import type { TranscriptSegment, Word } from "../model/transcript.js";

export interface GroupingOptions {
  maxGapS: number;
  maxSegmentS: number;
}

export const DEFAULT_GROUPING: GroupingOptions = { maxGapS: 1.5, maxSegmentS: 30 };

/** "SPEAKER_03" → 3; anything else gets a stable number by first appearance. */
function speakerNumbering() {
  const seen = new Map<string, number>();
  return (label: string) => {
    const m = /(\d+)$/.exec(label);
    if (m) return Number(m[1]);
    if (!seen.has(label)) seen.set(label, 1000 + seen.size);
    return seen.get(label)!;
  };
}

/** Joins tokens with spaces, without a space before punctuation tokens such as "," or "'s". */
export function joinWords(words: string[]): string {
  let text = "";
  for (const w of words) text += text && !/^[,.;:!?%)\]}]|^'[a-z]/i.test(w) ? ` ${w}` : w;
  return text;
}

export function groupWordsIntoSegments(
  words: Word[],
  options: GroupingOptions = DEFAULT_GROUPING,
): TranscriptSegment[] {
  const numberOf = speakerNumbering();
  const segments: TranscriptSegment[] = [];
  let current: { speaker: string; start: number; end: number; words: string[] } | null = null;
  const flush = () => {
    if (!current) return;
    const id = numberOf(current.speaker);
    segments.push({
      text: joinWords(current.words),
      speaker: `SPEAKER_${String(id).padStart(2, "0")}`,
      speaker_id: id,
      is_user: false,
      person_id: null,
      start: current.start,
      end: current.end,
    });
  };
  for (const w of words) {
    const speaker = w.speaker ?? "SPEAKER_00";
    const continues =
      current &&
      current.speaker === speaker &&
      w.start - current.end < options.maxGapS &&
      w.end - current.start <= options.maxSegmentS;
    if (continues) {
      current!.words.push(w.text);
      current!.end = Math.max(current!.end, w.end);
    } else {
      flush();
      current = { speaker, start: w.start, end: w.end, words: [w.text] };
    }
  }
  flush();
  return segments;
}

export const transcriptChars = (segments: { text: string }[]) => segments.reduce((n, s) => n + s.text.trim().length, 0);

/**
 * The original system's sanity check: a new transcript with fewer than 85 % of the characters of the memory's
 * existing one means transcription failed (or the upload was not the whole conversation): keep the existing one.
 */
export function isTranscriptTooShort(next: { text: string }[], existing: { text: string }[], minRatio = 0.85): boolean {
  const existingChars = transcriptChars(existing);
  return existingChars > 0 && transcriptChars(next) < minRatio * existingChars;
}
