/** What transcribers produce and what the memory stores: words, speech regions, speaker turns, segments. */
import { z } from "zod";

/** A transcribed word with timings (seconds on the recording's clock). */
export interface Word {
  text: string;
  start: number;
  end: number;
  /** Diarization label such as "SPEAKER_00", or null when unknown. */
  speaker: string | null;
  confidence?: number;
}

export interface Transcript {
  words: Word[];
  language: string | null;
  /** Which adapter and model produced it, e.g. "fal-ai/whisper" or "local/pocketsphinx+silero". */
  model: string;
}

/** A speech region found by voice activity detection (seconds). */
export interface SpeechRegion {
  start: number;
  end: number;
}

/** A diarization turn: who spoke when. */
export interface SpeakerTurn {
  start: number;
  end: number;
  speaker: string;
}

/** A memory's transcript segment, in the app's shape. */
export const transcriptSegmentSchema = z.object({
  text: z.string(),
  speaker: z.string().default("SPEAKER_00"),
  speaker_id: z.number().int().default(0),
  is_user: z.boolean().default(false),
  person_id: z.string().nullable().default(null),
  start: z.number(),
  end: z.number(),
});
export type TranscriptSegment = z.infer<typeof transcriptSegmentSchema>;
