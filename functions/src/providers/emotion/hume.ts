/**
 * The Hume adapter: only the user's own speech is sent (their segments joined with short silences, in requests of at
 * most 25 MB, the whole multipart body counted), at most EMOTION_MAX_SPEECH_SECONDS of it spread over the
 * conversation, and every measurement is mapped back to the recording's time line. Each request is built (one pass
 * over the recording) only when it is sent.
 */
import { assertTimeFor } from "../../errors.js";
import type { EmotionMeasurement } from "../../model/emotion.js";
import type { TranscriptSegment } from "../../model/transcript.js";
import { HumeClient, humeRequestBudgetMs, MULTIPART_OVERHEAD_BYTES, type HumeSettings } from "./humeClient.js";
import type { EmotionAnalyzer, EmotionInput, EmotionPart } from "./types.js";
import { buildRequest, planUserAudio, toRecordingTime, type PlannedRequest } from "./userAudio.js";

export const HUME_MODEL = "hume:expression-audio-v1";

export interface HumeLimits {
  /** Largest request body (Hume's limit: 25 MB). */
  maxRequestBytes: number;
  /** Most seconds of the user's speech analysed per recording. */
  maxSpeechSeconds: number;
}

export class HumeEmotionAnalyzer implements EmotionAnalyzer {
  readonly modelId = HUME_MODEL;
  private readonly client: HumeClient;

  constructor(
    private readonly settings: HumeSettings,
    private readonly limits: HumeLimits,
  ) {
    this.client = new HumeClient(settings);
  }

  private plan(userSegments: TranscriptSegment[]): PlannedRequest[] {
    return planUserAudio(userSegments, {
      maxBytes: this.limits.maxRequestBytes - MULTIPART_OVERHEAD_BYTES,
      maxSeconds: this.limits.maxSpeechSeconds,
    });
  }

  requestCount(userSegments: TranscriptSegment[]): number {
    return this.plan(userSegments).length;
  }

  async analyzeRequest(input: EmotionInput, index: number, opts: { deadline?: Date } = {}): Promise<EmotionPart> {
    const planned = this.plan(input.userSegments)[index];
    if (!planned) throw new Error(`no Hume request ${index} in this plan`);
    assertTimeFor(opts.deadline, humeRequestBudgetMs(this.settings), "a Hume expression request");
    const request = await buildRequest(input.audio(), planned);
    const answer = await this.client.measureAudio(request.wav);
    const measurements: EmotionMeasurement[] = [];
    for (const m of answer.measurements) {
      const start = toRecordingTime(request.placements, m.audio_start_ms / 1000);
      const end = toRecordingTime(request.placements, m.audio_end_ms / 1000) ?? start;
      if (start === null || end === null) continue; // a measurement of a joining silence
      for (const e of m.expressions)
        measurements.push({ name: e.name, score: e.probability, start, end: Math.max(start, end) });
    }
    const call = {
      provider: "hume" as const,
      kind: "expression" as const,
      model: this.modelId,
      request_id: answer.requestId,
      audio_seconds: Number(request.seconds.toFixed(3)),
      at: new Date().toISOString(),
    };
    return { measurements, calls: [call], analyzedSeconds: planned.speechSeconds };
  }
}
