/**
 * The Hume adapter: only the user's own speech is sent (their segments joined with short silences, in requests of at
 * most 25 MB), and every measurement is mapped back to the recording's time line.
 */
import type { EmotionMeasurement } from "../../model/emotion.js";
import { HUME_MAX_REQUEST_BYTES, HumeClient, type HumeSettings } from "./humeClient.js";
import type { EmotionAnalysis, EmotionAnalyzer, EmotionInput } from "./types.js";
import { toRecordingTime, userAudioRequests } from "./userAudio.js";

export const HUME_MODEL = "hume:expression-audio-v1";

export class HumeEmotionAnalyzer implements EmotionAnalyzer {
  readonly modelId = HUME_MODEL;
  private readonly client: HumeClient;

  constructor(
    settings: HumeSettings,
    private readonly maxRequestBytes = HUME_MAX_REQUEST_BYTES,
  ) {
    this.client = new HumeClient(settings);
  }

  async analyze(input: EmotionInput): Promise<EmotionAnalysis> {
    const requests = await userAudioRequests(input.audio(), input.userSegments, this.maxRequestBytes);
    const measurements: EmotionMeasurement[] = [];
    const calls: EmotionAnalysis["calls"] = [];
    for (const request of requests) {
      const answer = await this.client.measureAudio(request.wav);
      calls.push({
        provider: "hume",
        kind: "expression",
        model: this.modelId,
        request_id: null,
        audio_seconds: Number(request.seconds.toFixed(3)),
        at: new Date().toISOString(),
      });
      for (const m of answer) {
        const start = toRecordingTime(request.placements, m.audio_start_ms / 1000);
        const end = toRecordingTime(request.placements, m.audio_end_ms / 1000) ?? start;
        if (start === null || end === null) continue; // a measurement of a joining silence
        for (const e of m.expressions)
          measurements.push({ name: e.name, score: e.probability, start, end: Math.max(start, end) });
      }
    }
    measurements.sort((a, b) => a.start - b.start);
    return { measurements, calls, analyzedSeconds: requests.reduce((n, r) => n + r.seconds, 0) };
  }
}
