/**
 * Whether a named speaker is one voice: the fit check. A diarized speaker is named from its pooled speech, and the
 * pool hides a second voice merged into it (the offline diarizer merges real voices that the weight-free baseline
 * cannot tell apart). So the speaker's speech is cut into short windows, each embedded and scored against the profile
 * that named it, and the windows are split in two at the score that best separates them (Otsu's rule, by time). Short
 * windows of one voice scatter, so one window's score says little; pooled, each half is a voice's average. The low
 * half is another voice, and the fit poor, when it holds more than MIN_LOW_SHARE of the time (and MIN_LOW_WINDOWS
 * windows) and its pooled embedding
 * - scores at least the model's margin below the high half's and under the model's threshold (on its own, it would
 *   not be named as this profile), or
 * - scores at least twice the margin below the high half's.
 * A poorly fitting speaker is named nobody (`ambiguous`): the job says it cannot tell, rather than putting another
 * voice's words on the user. Pure.
 *
 * Threshold and margin are the ones the model is calibrated with (Omi's rule: a profile must beat the runner-up by the
 * margin), so the check carries over to another model's score scale. Measured with the baseline on real speech
 * (bench speaker-real) and on generated voices (bench speaker); see docs/speakers.md "Merged speakers".
 */
import type { SampleRange } from "../audio/wavRanges.js";
import type { TranscriptSegment } from "../model/transcript.js";
import { meanEmbedding, type SpeakerDecision } from "./matching.js";

/** Windows of this long (a segment's remainder of at least MIN_WINDOW_S is a window too). */
export const FIT_WINDOW_S = 2;
export const MIN_WINDOW_S = 1;
/** Fewer windows than this say too little about a speaker's spread: the fit is not judged. */
export const MIN_FIT_WINDOWS = 4;
/** At most this many windows per speaker (spread over the recording), so a long recording costs a bounded time. */
export const MAX_FIT_WINDOWS = 60;
/** The low half must hold more than this share of the windows' time: one stray window is no second voice. */
export const MIN_LOW_SHARE = 0.1;
/** …and at least this many windows: fewer, pooled, still scatter like single windows (generated voices do). */
export const MIN_LOW_WINDOWS = 3;

export interface FitWindow {
  speaker: string;
  start: number;
  end: number;
}

/** The windows of each of `speakers`' segments, in time order, at most MAX_FIT_WINDOWS per speaker (evenly picked). */
export function fitWindows(
  segments: Pick<TranscriptSegment, "speaker" | "start" | "end">[],
  speakers: ReadonlySet<string>,
): SampleRange<FitWindow>[] {
  const bySpeaker = new Map<string, FitWindow[]>();
  for (const s of segments) {
    if (!speakers.has(s.speaker)) continue;
    const list = bySpeaker.get(s.speaker) ?? [];
    for (let at = s.start; s.end - at >= MIN_WINDOW_S - 1e-9; at += FIT_WINDOW_S) {
      list.push({ speaker: s.speaker, start: at, end: Math.min(s.end, at + FIT_WINDOW_S) });
    }
    bySpeaker.set(s.speaker, list);
  }
  const picked = [...bySpeaker.values()].flatMap((list) => {
    if (list.length <= MAX_FIT_WINDOWS) return list;
    const step = list.length / MAX_FIT_WINDOWS;
    return Array.from({ length: MAX_FIT_WINDOWS }, (_, k) => list[Math.floor(k * step)]);
  });
  return picked.sort((a, b) => a.start - b.start).map((w) => ({ key: w, start: w.start, end: w.end }));
}

export interface FitVerdict {
  windows: number;
  /** The pooled scores of the high and the low half against the profile; null when not judged. */
  high: number | null;
  low: number | null;
  /** Of the windows' time, the low half's share. */
  lowShare: number;
  poor: boolean;
}

export interface ScoredWindow {
  /** Where the window starts in the recording (s). */
  start: number;
  seconds: number;
  embedding: Float32Array;
  score: number;
}

/** Where to split windows sorted by score: the cut with the largest time-weighted between-half variance (Otsu). */
function otsuCut(sorted: ScoredWindow[]): number {
  const total = sorted.reduce((n, w) => n + w.seconds, 0);
  const sum = sorted.reduce((n, w) => n + w.seconds * w.score, 0);
  let best = { cut: 1, between: -1 };
  let lowTime = 0;
  let lowSum = 0;
  for (let cut = 1; cut < sorted.length; cut++) {
    lowTime += sorted[cut - 1].seconds;
    lowSum += sorted[cut - 1].seconds * sorted[cut - 1].score;
    const highTime = total - lowTime;
    if (lowTime <= 0 || highTime <= 0) continue;
    const gap = (sum - lowSum) / highTime - lowSum / lowTime;
    const between = ((lowTime * highTime) / (total * total)) * gap * gap;
    if (between > best.between) best = { cut, between };
  }
  return best.cut;
}

/** A speaker's windows (at least two) split in two at the score that best separates them (Otsu's rule, by time). */
export function splitByScore<W extends ScoredWindow>(windows: W[]): { low: W[]; high: W[] } {
  const sorted = [...windows].sort((a, b) => a.score - b.score);
  const cut = otsuCut(sorted);
  return { low: sorted.slice(0, cut), high: sorted.slice(cut) };
}

const secondVoice = (high: number, low: number, rule: { threshold: number; margin: number }) =>
  (high - low >= rule.margin && low < rule.threshold) || high - low >= 2 * rule.margin;

/**
 * The fit of one speaker from its windows (each embedded and scored against `profile`): `score` compares two
 * embeddings as the model's calibration says; `threshold` and `margin` are the model's calibrated ones.
 */
export function judgeFit(
  windows: ScoredWindow[],
  profile: Float32Array,
  scoring: { score: (a: Float32Array, b: Float32Array) => number; threshold: number; margin: number },
): FitVerdict {
  if (windows.length < MIN_FIT_WINDOWS)
    return { windows: windows.length, high: null, low: null, lowShare: 0, poor: false };
  const halves = splitByScore(windows);
  const pooled = (part: ScoredWindow[]) => scoring.score(meanEmbedding(part.map((w) => w.embedding))!, profile);
  const [low, high] = [pooled(halves.low), pooled(halves.high)];
  const total = windows.reduce((n, w) => n + w.seconds, 0);
  const lowShare = total > 0 ? halves.low.reduce((n, w) => n + w.seconds, 0) / total : 0;
  return {
    windows: windows.length,
    high,
    low,
    lowShare,
    poor: halves.low.length >= MIN_LOW_WINDOWS && lowShare > MIN_LOW_SHARE && secondVoice(high, low, scoring),
  };
}

/** The decisions with every poorly fitting named speaker named nobody (`ambiguous`, its nearest profile kept). */
export function applyFit(
  decisions: Map<string, SpeakerDecision>,
  fits: Map<string, FitVerdict>,
): Map<string, SpeakerDecision> {
  return new Map(
    [...decisions].map(([label, d]) => [
      label,
      fits.get(label)?.poor ? { ...d, status: "ambiguous" as const, profileId: null } : d,
    ]),
  );
}
