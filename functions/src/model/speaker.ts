/**
 * Contracts for who-spoke-when: speaker embedders (a fixed-size vector per stretch of speech, compared with cosine
 * similarity), voice activity detectors, and enrolled voice profiles.
 */
import type { SpeechRegion } from "./transcript.js";

export interface SpeakerEmbedder {
  /** Identifies the model; embeddings from different models are never compared. */
  readonly modelId: string;
  readonly dimension: number;
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
