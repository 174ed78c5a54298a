/**
 * How the identify stage scores a model's speakers against profiles: with the calibration stored with the model (its
 * threshold, and its background for score normalisation) unless the operator pinned a threshold. A model without a
 * calibration is compared by plain cosine at UNCALIBRATED_THRESHOLD, without a margin. The calibration also carries the
 * rest of the decision rule (margin, minimum speech, turn threshold; speaker/matching.ts).
 */
import type { SpeakerEmbedder } from "../../model/speaker.js";
import { DEFAULT_MATCH_RULE, speakerScoring, type SpeakerScoring } from "../../speaker/scoring.js";

/**
 * Plain cosine threshold for a model deployed without a calibration (calibrate it with the bench:
 * docs/speakers.md "Calibration beside the model").
 */
export const UNCALIBRATED_THRESHOLD = 0.995;

export function scoringFor(
  embedder: Pick<SpeakerEmbedder, "calibration">,
  /** SPEAKER_MATCH_THRESHOLD when set to a number; it applies on the model's own (normalised or plain) scale. */
  pinnedThreshold: number | null = null,
): SpeakerScoring {
  const calibration = embedder.calibration;
  const background = calibration?.score_normalization === "background" ? calibration.background : undefined;
  const threshold = pinnedThreshold ?? calibration?.threshold ?? UNCALIBRATED_THRESHOLD;
  // A pinned threshold moves the turn check with it (by the calibrated gap between the two).
  const turnGap = (calibration?.threshold ?? 0) - (calibration?.turn_threshold ?? calibration?.threshold ?? 0);
  return speakerScoring(threshold, background, {
    // Omi's margin is on a calibrated scale; raw cosines of an uncalibrated model bunch near 1, so none applies there.
    margin: calibration ? (calibration.margin ?? DEFAULT_MATCH_RULE.margin) : 0,
    minSpeechSeconds: calibration?.min_speech_seconds ?? DEFAULT_MATCH_RULE.minSpeechSeconds,
    turnThreshold: threshold - turnGap,
  });
}
