/**
 * The emotion role: measurements of the user's emotions in their own speech. An analyzer gets the user's segments
 * and, when it listens rather than reads, the job's normalized audio; either shape of provider fits (a synchronous
 * upload like Hume's current API, or a job with a callback, which would return `parked` through the stage instead).
 */
import type { Readable } from "node:stream";
import type { EmotionMeasurement } from "../../model/emotion.js";
import type { TranscriptSegment } from "../../model/transcript.js";
import type { ProviderCall } from "../../model/usage.js";

export interface EmotionInput {
  /** The user's own segments (is_user), in time order; never empty. */
  userSegments: TranscriptSegment[];
  /** The job's normalized 16 kHz mono WAV, opened on demand. */
  audio: () => Readable;
  language: string | null;
}

export interface EmotionAnalysis {
  measurements: EmotionMeasurement[];
  /** Paid calls (for the ledger). */
  calls: Omit<ProviderCall, "estimated_cost_usd" | "stage">[];
  /** Seconds of the user's speech analysed. */
  analyzedSeconds: number;
}

export interface EmotionAnalyzer {
  readonly modelId: string;
  analyze(input: EmotionInput): Promise<EmotionAnalysis>;
}
