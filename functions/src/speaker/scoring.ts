/**
 * How two embeddings of one speaker model are compared. A raw cosine is dominated by what every voice shares (the
 * microphone, the language, the features' own scales), so a calibrated model is compared after whitening: both
 * embeddings are L2-normalised, centred on the mean of a background set of voices and divided, per dimension, by the
 * within-speaker spread measured on that set. The cosine of the whitened vectors then weighs each dimension by how well
 * it tells speakers apart. Without a background the plain cosine is used. Pure.
 */
import { cosineSimilarity } from "./similarity.js";

export interface SpeakerBackground {
  /** Mean of the background set's L2-normalised embeddings. */
  mean: number[];
  /** Per dimension, the within-speaker standard deviation of the background set's L2-normalised embeddings. */
  scale: number[];
}

export interface SpeakerScoring {
  /** Scores at or above this name a speaker. */
  threshold: number;
  /** The named profile must beat the runner-up profile (and any other voice's score for it) by this much. */
  margin: number;
  /** Less of a speaker's speech than this names nobody (`too_short`). */
  minSpeechSeconds: number;
  /** One turn inside a named speaker must score at least this against the profile on its own, or it is split off. */
  turnThreshold: number;
  /** Whether a background whitens the embeddings before the cosine. */
  normalized: boolean;
  score: (a: Float32Array, b: Float32Array) => number;
}

/** Floor for a dimension's within-speaker spread, so a dimension that never varied cannot dominate. */
const MIN_SCALE = 1e-6;

/** The decision rule beside the threshold; a model's calibration measures its own (speaker bench). */
export interface MatchRule {
  margin: number;
  minSpeechSeconds: number;
  /** Defaults to the threshold. */
  turnThreshold?: number;
}

/**
 * Omi's margin (0.10 in cosine distance, the same step in cosine similarity) and its minimum evidence (5 s of the
 * speaker's speech), used where a calibration does not say otherwise.
 */
export const DEFAULT_MATCH_RULE: MatchRule = { margin: 0.1, minSpeechSeconds: 5 };

export function speakerScoring(
  threshold: number,
  background?: SpeakerBackground | null,
  rule: MatchRule = DEFAULT_MATCH_RULE,
): SpeakerScoring {
  const decision = {
    threshold,
    margin: rule.margin,
    minSpeechSeconds: rule.minSpeechSeconds,
    turnThreshold: rule.turnThreshold ?? threshold,
  };
  if (!background) return { ...decision, normalized: false, score: cosineSimilarity };
  const whiten = whitener(background);
  return {
    ...decision,
    normalized: true,
    score: (a, b) =>
      a.length === b.length && a.length === background.mean.length ? cosineSimilarity(whiten(a), whiten(b)) : -1,
  };
}

function whitener({ mean, scale }: SpeakerBackground): (e: Float32Array) => Float64Array {
  return (e) => {
    const norm = Math.hypot(...e) || 1;
    return Float64Array.from(e, (v, d) => (v / norm - mean[d]) / Math.max(scale[d], MIN_SCALE));
  };
}

/**
 * The background of a set of voices (at least two, several utterances each): the mean of all their L2-normalised
 * embeddings and the pooled within-voice standard deviation per dimension. Used by the speaker bench to calibrate a
 * model.
 */
export function measureBackground(byVoice: Float32Array[][]): SpeakerBackground {
  const voices = byVoice.filter((v) => v.length > 0);
  if (voices.length < 2) throw new Error("A speaker background needs at least two voices.");
  const unit = voices.map((list) =>
    list.map((e) => {
      const norm = Math.hypot(...e) || 1;
      return Float64Array.from(e, (v) => v / norm);
    }),
  );
  const dims = unit[0][0].length;
  const all = unit.flat();
  const mean = new Float64Array(dims);
  for (const e of all) for (let d = 0; d < dims; d++) mean[d] += e[d] / all.length;
  const within = new Float64Array(dims);
  for (const list of unit) {
    const voiceMean = new Float64Array(dims);
    for (const e of list) for (let d = 0; d < dims; d++) voiceMean[d] += e[d] / list.length;
    for (const e of list) for (let d = 0; d < dims; d++) within[d] += (e[d] - voiceMean[d]) ** 2 / all.length;
  }
  return { mean: [...mean], scale: [...within].map((v) => Math.sqrt(v)) };
}
