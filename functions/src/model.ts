/** Data contracts shared by the API and the stages (field names follow the app; see README "Data model"). */
import { z } from "zod";

export const POSTPROCESSING_STATUSES = ["not_started", "in_progress", "completed", "canceled", "failed"] as const;
export type PostprocessingStatus = (typeof POSTPROCESSING_STATUSES)[number];
export const TERMINAL_STATUSES: readonly PostprocessingStatus[] = ["completed", "canceled", "failed"];

export const STAGE_NAMES = ["prepare_audio", "transcribe", "segment", "identify", "reprocess", "emotion"] as const;
export type StageName = (typeof STAGE_NAMES)[number];
/** `waiting`: handed to a provider (e.g. FAL) whose result arrives later by webhook or poll. */
export type StageStateName = "pending" | "processing" | "waiting" | "done" | "failed";

export interface StageState {
  state: StageStateName;
  attempts: number;
  lease_expires_at: string | null;
  last_error: string | null;
  idempotency_key: string | null;
  /** Set once the message for the next stage was published after this stage finished. */
  next_published?: boolean;
  /** Earliest time a re-drive may retry a pending stage (backoff after a transient provider failure). */
  retry_at?: string | null;
  /** Transcription: which adapter runs the job, and its provider-side state. */
  provider?: "fal" | "local";
  provider_request_id?: string | null;
  webhook_token_sha256?: string | null;
  submitted_at?: string | null;
  /** Offline transcription: chunk boundaries (seconds) and how many chunks are transcribed. */
  chunks?: { boundaries: number[]; done: number } | null;
}

/** `memory.postprocessing.transcript`: where the diarized words of this job are kept (Storage JSON). */
export interface JobTranscript {
  words_object: string;
  word_count: number;
  speaker_count: number;
  language: string | null;
  model: string;
}

export interface JobAudio {
  postprocessing_object: string;
  recording_object: string | null;
  format: string;
  content_type: string;
  size_bytes: number | null;
  uploaded_via: "multipart" | "resumable";
  normalized_object?: string;
  duration_s?: number;
}

/** `memory.postprocessing`: the app reads status/model/fail_reason; the rest is the pipeline's job state. */
export interface Postprocessing {
  status: PostprocessingStatus;
  model: string;
  fail_reason: string | null;
  job_id: string;
  /** What the job is doing or waiting for, e.g. "awaiting_upload", "preparing_audio", "awaiting_transcription". */
  phase: string;
  emotional_feedback: boolean;
  created_at: string;
  updated_at: string;
  audio: JobAudio;
  stages: Partial<Record<StageName, StageState>>;
  transcript?: JobTranscript;
  /** The grouped segments (Storage JSON) between `segment` and `identify`. */
  segments?: { object: string; count: number };
  /** Who each diarized speaker turned out to be (null: unknown). */
  speakers?: Record<string, { kind: "user" | "person"; id: string; similarity: number } | null>;
}

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

/** The message every Pub/Sub stage receives. */
export const jobMessageSchema = z.object({
  uid: z.string().min(1),
  memoryId: z.string().min(1),
  jobId: z.string().min(1),
});
export type JobMessage = z.infer<typeof jobMessageSchema>;

/** Custom metadata on uploaded objects in the post-processing bucket. */
export const uploadMetadataSchema = z.object({
  uid: z.string().min(1),
  memoryId: z.string().min(1),
  jobId: z.string().min(1),
  emotionalFeedback: z.enum(["true", "false"]).default("false"),
  uploadedVia: z.enum(["multipart", "resumable"]).default("multipart"),
});
export type UploadMetadata = z.infer<typeof uploadMetadataSchema>;

export const POSTPROCESSING_MODEL = "fal_whisperx";
