/**
 * The offline analyzer (the default): not the voice but the words. Each of the user's segments is scored with VADER
 * (a valence lexicon, `vader-sentiment`): its positive share becomes Joy, its negative share Distress, its neutral
 * share Neutral (never notified about), over the segment's time span. The same result shape as Hume's, honestly named.
 */
import vader from "vader-sentiment";
import { NEUTRAL, type EmotionMeasurement } from "../../model/emotion.js";
import type { EmotionAnalysis, EmotionAnalyzer, EmotionInput } from "./types.js";

export const LOCAL_EMOTION_MODEL = "local:vader-text-valence";

export class LocalTextEmotionAnalyzer implements EmotionAnalyzer {
  readonly modelId = LOCAL_EMOTION_MODEL;

  async analyze(input: EmotionInput): Promise<EmotionAnalysis> {
    const measurements: EmotionMeasurement[] = [];
    for (const s of input.userSegments) {
      const scores = vader.SentimentIntensityAnalyzer.polarity_scores(s.text);
      const span = { start: s.start, end: s.end };
      measurements.push(
        { name: "Joy", score: scores.pos, ...span },
        { name: "Distress", score: scores.neg, ...span },
        { name: NEUTRAL, score: scores.neu, ...span },
      );
    }
    const analyzedSeconds = input.userSegments.reduce((n, s) => n + (s.end - s.start), 0);
    return { measurements, calls: [], analyzedSeconds };
  }
}
