/**
 * Contracts for who-spoke-when: speaker embedders (a fixed-size vector per stretch of speech, compared with cosine
 * similarity), voice activity detectors, and enrolled voice profiles.
 */
import { z } from "zod";
import type { SpeechRegion } from "./transcript.js";

/**
 * What was measured for one speaker model, stored beside it as `<model>.calibration.json`: the cosine threshold to
 * name a speaker, the score normalisation it was measured with, and free-form figures of the measurement.
 */
export const speakerCalibrationSchema = z.object({
  /** The embedder's modelId it was measured for (`onnx:` + the first 16 hex digits of the model's SHA-256). */
  model_id: z.string().min(1).optional(),
  threshold: z.number().min(-1).max(1),
  /** "background": embeddings are whitened with `background` before the cosine (speaker/scoring.ts). */
  score_normalization: z.enum(["none", "background"]).optional(),
  background: z.object({ mean: z.array(z.number()), scale: z.array(z.number()) }).optional(),
  /** The decision rule measured with the threshold (speaker/matching.ts); Omi's values where absent. */
  margin: z.number().min(0).max(2).optional(),
  min_speech_seconds: z.number().min(0).optional(),
  turn_threshold: z.number().min(-1).max(1).optional(),
  measured: z.record(z.string(), z.unknown()).optional(),
});
export type SpeakerCalibration = z.infer<typeof speakerCalibrationSchema>;

export interface SpeakerEmbedder {
  /** Identifies the model; embeddings from different models are never compared. */
  readonly modelId: string;
  readonly dimension: number;
  /** The calibration stored beside the model, when there is one (providers/speakerEmbedder/scoring.ts uses it). */
  readonly calibration?: SpeakerCalibration | null;
  /** Embeds 16 kHz mono samples in [-1, 1]. Returns null when there is too little voiced audio to say anything. */
  embed(samples: Float32Array): Promise<Float32Array | null>;
}

export interface VoiceActivityDetector {
  /** Speech regions of 16 kHz mono samples, in order. */
  detect(samples: Float32Array): Promise<SpeechRegion[]>;
}

export interface VoiceProfile {
  /** "user" for the user's own profile, otherwise the person's id. */
  id: string;
  kind: "user" | "person";
  embedding: Float32Array;
}
