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

/**
 * Who a segment's speaker is, as the identify stage decided (speaker/matching.ts): the user, a known person, nobody
 * enrolled is close (`unknown`), two profiles or two voices are about as close (`ambiguous`), or too little speech to
 * tell (`too_short`). `is_user` and `person_id` keep their meaning; this says why they are unset.
 */
export const IDENTITY_STATUSES = ["user", "person", "unknown", "ambiguous", "too_short"] as const;
export type IdentityStatus = (typeof IDENTITY_STATUSES)[number];

/** `manual`: the user labelled the segment (in the app or through the assign endpoint); re-runs keep it. */
export const SPEAKER_LABEL_SOURCES = ["manual", "auto"] as const;
export type SpeakerLabelSource = (typeof SPEAKER_LABEL_SOURCES)[number];

/** A memory's transcript segment, in the app's shape. */
export const transcriptSegmentSchema = z.object({
  text: z.string(),
  speaker: z.string().default("SPEAKER_00"),
  speaker_id: z.number().int().default(0),
  is_user: z.boolean().default(false),
  person_id: z.string().nullable().default(null),
  start: z.number(),
  end: z.number(),
  /** Set by the identify stage (absent on streaming transcripts). */
  identity_status: z.enum(IDENTITY_STATUSES).optional(),
  speaker_label_source: z.enum(SPEAKER_LABEL_SOURCES).optional(),
});
export type TranscriptSegment = z.infer<typeof transcriptSegmentSchema>;
