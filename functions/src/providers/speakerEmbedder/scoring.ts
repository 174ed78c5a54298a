/**
 * How the identify stage scores a model's speakers against profiles: with the calibration stored with the model (its
 * threshold, and its background for score normalisation) unless the operator pinned a threshold. A model without a
 * calibration is compared by plain cosine at UNCALIBRATED_THRESHOLD.
 */
import type { SpeakerEmbedder } from "../../model/speaker.js";
import { speakerScoring, type SpeakerScoring } from "../../speaker/scoring.js";

/** Plain cosine threshold for a model deployed without a calibration (README: calibrate it with the bench). */
export const UNCALIBRATED_THRESHOLD = 0.995;

export function scoringFor(
  embedder: Pick<SpeakerEmbedder, "calibration">,
  /** SPEAKER_MATCH_THRESHOLD when set to a number; it applies on the model's own (normalised or plain) scale. */
  pinnedThreshold: number | null = null,
): SpeakerScoring {
  const calibration = embedder.calibration;
  const background = calibration?.score_normalization === "background" ? calibration.background : undefined;
  return speakerScoring(pinnedThreshold ?? calibration?.threshold ?? UNCALIBRATED_THRESHOLD, background);
}
