/** Emotion analysis of the user's own speech: measurements from a provider, and the summary kept on the memory. */
import { z } from "zod";

/**
 * "No emotion in particular": Hume's `neutral` expression (scored since 2026-10-20) and the local analyzer's neutral
 * share. Kept in the summary, never notified about.
 */
export const NEUTRAL = "neutral";

/**
 * Emotion families, for notifications only: each names Hume's documented audio expressions that belong to it
 * (lowercase, as Hume sends them; docs "Scores" and "Audio measurements"). Names are compared case-insensitively.
 * Hume adds names over time: a name in no family is kept in the summary but never notifies.
 */
export const EMOTION_FAMILIES = {
  bright: [
    "joy",
    "amusement",
    "excitement",
    "ecstasy",
    "triumph",
    "pride",
    "satisfaction",
    "love",
    "admiration",
    "adoration",
    "gratitude",
    "interest",
    "enthusiasm",
    "eagerness",
    "pleasure",
    "feeling uplifted",
    "surprise (positive)",
  ],
  calm: [
    "calmness",
    "contentment",
    "relief",
    "realization",
    "aesthetic appreciation",
    "concentration",
    "contemplation",
    "pondering",
  ],
  heavy: [
    "sadness",
    "distress",
    "disappointment",
    "pain",
    "empathic pain",
    "guilt",
    "shame",
    "tiredness",
    "boredom",
    "nostalgia",
    "feeling upset",
  ],
  tense: ["anxiety", "fear", "horror", "awkwardness", "confusion", "doubt", "embarrassment", "surprise (negative)"],
  frustrated: ["anger", "annoyance", "contempt", "disgust", "envy", "abhorrence"],
} as const;
export type EmotionFamily = keyof typeof EMOTION_FAMILIES;

const FAMILY_OF = new Map<string, EmotionFamily>(
  (Object.entries(EMOTION_FAMILIES) as [EmotionFamily, readonly string[]][]).flatMap(([family, names]) =>
    names.map((name) => [name, family] as const),
  ),
);

/** The family of an emotion name (any case), or null for neutral and for names in no family. Pure. */
export const familyOf = (name: string): EmotionFamily | null => FAMILY_OF.get(name.trim().toLowerCase()) ?? null;

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
