/**
 * The emotion role: measurements of the user's emotions in their own speech. An analyzer gets the user's segments
 * and, when it listens rather than reads, the job's normalized audio. Its work is split into requests planned up
 * front: the stage checkpoints each request's result as soon as it is paid for and checks the time left before the
 * next one, so a long recording never holds more than one request in memory, never pays twice for one, and never
 * outlives its function.
 */
import type { Readable } from "node:stream";
import type { EmotionMeasurement } from "../../model/emotion.js";
import type { TranscriptSegment } from "../../model/transcript.js";
import type { ProviderCall } from "../../model/usage.js";

export interface EmotionInput {
  /** The user's own segments (is_user), in time order; never empty. */
  userSegments: TranscriptSegment[];
  /** The job's normalized 16 kHz mono WAV, opened on demand (once per request). */
  audio: () => Readable;
  language: string | null;
}

/** One request's result. */
export interface EmotionPart {
  measurements: EmotionMeasurement[];
  /** Paid calls (for the ledger). */
  calls: Omit<ProviderCall, "estimated_cost_usd" | "stage">[];
  /** Seconds of the user's speech analysed. */
  analyzedSeconds: number;
}

export interface EmotionAnalyzer {
  readonly modelId: string;
  /** How many requests the analysis of these segments takes (deterministic for the same segments). */
  requestCount(userSegments: TranscriptSegment[]): number;
  /**
   * Request `index` of the plan. `deadline`: the request with all its retries must fit before it, else
   * DeadlineReached is thrown before anything is sent.
   */
  analyzeRequest(input: EmotionInput, index: number, opts: { deadline?: Date }): Promise<EmotionPart>;
}
