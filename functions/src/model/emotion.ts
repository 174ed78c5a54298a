/** Emotion analysis of the user's own speech: measurements from a provider, and the summary kept on the memory. */
import { z } from "zod";

/** The name of "no emotion in particular" (the local analyzer's neutral share): kept in the summary, never notified. */
export const NEUTRAL = "Neutral";

/** One measurement: an emotion's score (0–1) over a stretch of the recording (seconds, transcript time). */
export interface EmotionMeasurement {
  name: string;
  score: number;
  start: number;
  end: number;
}

export const emotionSummarySchema = z.object({
  /** Which analyzer made it, e.g. "hume:expression-audio-v1" or "local:vader-text-valence". */
  model: z.string(),
  /** The strongest emotions over the user's speech, strongest first, with where each peaked. */
  top: z.array(
    z.object({
      name: z.string(),
      /** Duration-weighted mean score over the user's analysed speech, 0–1. */
      score: z.number(),
      peaks: z.array(z.object({ start: z.number(), end: z.number(), score: z.number() })),
    }),
  ),
  analyzed_seconds: z.number(),
  created_at: z.string(),
});
export type EmotionSummary = z.infer<typeof emotionSummarySchema>;
