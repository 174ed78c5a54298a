/**
 * The offline analyzer (the default): not the voice but the words. Each of the user's segments is scored with VADER
 * (a valence lexicon, `vader-sentiment`): its positive share becomes joy, its negative share distress, its neutral
 * share neutral (never notified about), over the segment's time span. The same result shape as Hume's, with Hume's
 * lowercase names, honestly labelled as text analysis by its model id. One request, free.
 */
import vader from "vader-sentiment";
import { NEUTRAL, type EmotionMeasurement } from "../../model/emotion.js";
import type { EmotionAnalyzer, EmotionInput, EmotionPart } from "./types.js";

export const LOCAL_EMOTION_MODEL = "local:vader-text-valence";

export class LocalTextEmotionAnalyzer implements EmotionAnalyzer {
  readonly modelId = LOCAL_EMOTION_MODEL;

  requestCount(): number {
    return 1;
  }

  async analyzeRequest(input: EmotionInput): Promise<EmotionPart> {
    const measurements: EmotionMeasurement[] = [];
    for (const s of input.userSegments) {
      const scores = vader.SentimentIntensityAnalyzer.polarity_scores(s.text);
      const span = { start: s.start, end: s.end };
      measurements.push(
        { name: "joy", score: scores.pos, ...span },
        { name: "distress", score: scores.neg, ...span },
        { name: NEUTRAL, score: scores.neu, ...span },
      );
    }
    const analyzedSeconds = input.userSegments.reduce((n, s) => n + (s.end - s.start), 0);
    return { measurements, calls: [], analyzedSeconds };
  }
}
