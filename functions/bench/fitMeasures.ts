/**
 * Measures of a named speaker's fit other than the shipped one (speaker/clusterFit.ts), taken by the speaker benches
 * beside it: whether any of them could tell one voice from two merged ones on generated and on real speech alike.
 * Each speaker's windows are split as the fit check splits them (splitByScore); then
 * - `halvesScore`: the two halves' pooled embeddings scored against each other (two voices' halves would not be
 *   named one voice);
 * - `gapOverHighSpread`: the gap between the halves' mean window scores, in units of the high half's own standard
 *   deviation (floored at MIN_SPREAD): how far the low windows lie outside the speaker's own scatter;
 * - `pooledScore`: every window pooled, scored against the profile (a mixture pools further from it).
 * Figures only: per kind of speaker (one voice, or merged), the spread of each measure, so a reader can see where the
 * kinds overlap. Pure.
 */
import { MIN_FIT_WINDOWS, splitByScore, type ScoredWindow } from "../src/speaker/clusterFit.js";
import { meanEmbedding } from "../src/speaker/matching.js";
import type { SpeakerScoring } from "../src/speaker/scoring.js";
import { round } from "./speakerTrials.js";

/** A high half whose windows agree to better than this is taken to scatter this much (one or two windows). */
const MIN_SPREAD = 0.01;

export interface FitMeasures {
  halvesScore: number;
  gapOverHighSpread: number;
  pooledScore: number;
}
export type FitMeasureName = keyof FitMeasures;
const NAMES: FitMeasureName[] = ["halvesScore", "gapOverHighSpread", "pooledScore"];

/** The measures of one speaker's windows against its profile; null with fewer windows than the fit check judges. */
export function fitMeasures(
  windows: ScoredWindow[],
  profile: Float32Array,
  scoring: Pick<SpeakerScoring, "score">,
): FitMeasures | null {
  if (windows.length < MIN_FIT_WINDOWS) return null;
  const { low, high } = splitByScore(windows);
  const pool = (part: ScoredWindow[]) => meanEmbedding(part.map((w) => w.embedding))!;
  const mean = (part: ScoredWindow[]) => part.reduce((n, w) => n + w.score, 0) / part.length;
  const highMean = mean(high);
  const highSpread = Math.sqrt(high.reduce((n, w) => n + (w.score - highMean) ** 2, 0) / high.length);
  return {
    halvesScore: scoring.score(pool(low), pool(high)),
    gapOverHighSpread: (highMean - mean(low)) / Math.max(highSpread, MIN_SPREAD),
    pooledScore: scoring.score(pool(windows), profile),
  };
}

function spread(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(s[Math.round(q * (s.length - 1))], 3);
  return s.length ? { min: at(0), p10: at(0.1), median: at(0.5), p90: at(0.9), max: at(1) } : null;
}

/** Measures collected per kind of speaker. */
export class FitMeasureTally<Kind extends string> {
  private readonly byKind = new Map<Kind, FitMeasures[]>();

  add(kind: Kind, measures: FitMeasures | null): void {
    if (!measures) return;
    this.byKind.set(kind, [...(this.byKind.get(kind) ?? []), measures]);
  }

  /** Per kind: how many speakers, and each measure's min, 10th percentile, median, 90th percentile and max. */
  figures(): Record<string, unknown> {
    return Object.fromEntries(
      [...this.byKind].map(([kind, list]) => [
        kind,
        {
          speakers: list.length,
          ...Object.fromEntries(NAMES.map((name) => [name, spread(list.map((m) => m[name]))])),
        },
      ]),
    );
  }
}

export const FIT_MEASURE_DEFINITIONS = {
  halvesScore:
    "the fit check's two halves (windows split at the score that best separates them), pooled, scored against " +
    "each other: two voices' halves would score under the threshold",
  gapOverHighSpread:
    "the gap between the halves' mean window scores over the high half's own standard deviation (floored at " +
    `${MIN_SPREAD}): how far the low windows lie outside the speaker's own scatter`,
  pooledScore: "every window pooled, scored against the profile that named the speaker",
};
