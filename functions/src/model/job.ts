/**
 * The post-processing job as stored on the memory (`memory.postprocessing`; field names follow the app), the messages
 * between stages, and the upload metadata. Reads are validated with these schemas at the store boundary, so a
 * malformed document is a clear permanent error where it is read, not a crash somewhere later.
 */
import { z } from "zod";
import { POSTPROCESSING_STATUSES, STAGE_STATES, TERMINAL_STATUSES } from "./stages.js";
import { usageSchema } from "./usage.js";

export {
  POSTPROCESSING_STATUSES,
  STAGE_STATES,
  TERMINAL_STATUSES,
  type PostprocessingStatus,
  type StageStateName,
} from "./stages.js";

/**
 * The model name the app knows for a post-processed memory (FAL has no endpoint named whisperx;
 * docs/transcription.md "FAL (production)").
 */
export const POSTPROCESSING_MODEL = "fal_whisperx";

const isoTime = z.string();

export const stageStateSchema = z.looseObject({
  state: z.enum(STAGE_STATES),
  attempts: z.number().int().nonnegative(),
  lease_expires_at: isoTime.nullable(),
  last_error: z.string().nullable(),
  idempotency_key: z.string().nullable(),
  /** Why a stage was skipped (state `skipped`). */
  skip_reason: z.string().optional(),
  /** Set once the message for the next stage was published after this stage finished. */
  next_published: z.boolean().optional(),
  /** Earliest time a re-drive may retry a pending stage (backoff after a transient provider failure). */
  retry_at: isoTime.nullable().optional(),
  /** Transcription: which adapter runs the job, and its provider-side state. */
  provider: z.enum(["fal", "local"]).optional(),
  provider_request_id: z.string().nullable().optional(),
  webhook_token_sha256: z.string().nullable().optional(),
  submitted_at: isoTime.nullable().optional(),
  /** Set just before a submit: a submit may be in flight until its request id is stored. */
  submit_started_at: isoTime.nullable().optional(),
  /** Offline transcription: chunk boundaries (seconds) and how many chunks are transcribed. */
  chunks: z
    .object({ boundaries: z.array(z.number()), done: z.number().int() })
    .nullable()
    .optional(),
});
export type StageState = z.infer<typeof stageStateSchema>;

/** Where the diarized words of this job are kept (Storage JSON). */
export const jobTranscriptSchema = z.object({
  words_object: z.string(),
  word_count: z.number(),
  speaker_count: z.number(),
  language: z.string().nullable(),
  model: z.string(),
});
export type JobTranscript = z.infer<typeof jobTranscriptSchema>;

export const jobAudioSchema = z.looseObject({
  postprocessing_object: z.string(),
  recording_object: z.string().nullable(),
  format: z.string(),
  content_type: z.string(),
  size_bytes: z.number().nullable(),
  uploaded_via: z.enum(["multipart", "resumable"]),
  normalized_object: z.string().optional(),
  duration_s: z.number().optional(),
});
export type JobAudio = z.infer<typeof jobAudioSchema>;

/**
 * The identify stage's decision for one diarized speaker (speaker/matching.ts): its status, the profile that names it
 * (or null), the nearest profile and the scores. Jobs from before the decision rule stored {kind, id, similarity}.
 */
const speakerMatchSchema = z
  .looseObject({
    status: z.string().optional(),
    id: z.string().nullable().optional(),
    similarity: z.number().nullable().optional(),
  })
  .nullable();

/** `memory.postprocessing`: the app reads status/model/fail_reason; the rest is the pipeline's job state. */
export const postprocessingSchema = z.looseObject({
  status: z.enum(POSTPROCESSING_STATUSES),
  model: z.string(),
  fail_reason: z.string().nullable(),
  job_id: z.string().min(1),
  /** What the job is doing or waiting for, e.g. "awaiting_upload", "preparing_audio", "transcribing". */
  phase: z.string(),
  /**
   * The upload's flags (`?<flag>=true`) that optional stages need (pipeline/definition.ts `onlyWith`), e.g.
   * `{ emotional_feedback: true }`. Absent on jobs written before flags were one object, which
   * held each as a boolean field of its own (pipeline/definition.ts `jobFlag` reads both).
   */
  flags: z.record(z.string(), z.boolean()).optional(),
  /** What the app shows: phase, percent done and the estimated seconds left (pipeline/progress.ts). */
  progress: z.object({ phase: z.string(), percent: z.number(), eta_seconds: z.number().nullable() }).optional(),
  created_at: isoTime,
  updated_at: isoTime,
  completed_at: isoTime.nullable().optional(),
  /**
   * True while an optional stage (emotion) is queued or running, also after the job completed: the stalled-job
   * re-drive finds such jobs by it, and the audio sweep keeps their audio.
   */
  optional_open: z.boolean().optional(),
  /**
   * False on every job; true once the memory was flagged deleted and its audio, vector and transcript versions were
   * erased (store/erasure.ts): the re-drive finds flagged memories still to erase by it.
   */
  erased: z.boolean().optional(),
  audio: jobAudioSchema,
  /** Per stage (pipeline/definition.ts names them), its state; a stage the job has not reached is absent. */
  stages: z.record(z.string(), stageStateSchema.optional()),
  transcript: jobTranscriptSchema.optional(),
  /** The grouped segments (Storage JSON) between `segment` and `identify`. */
  segments: z.object({ object: z.string(), count: z.number() }).optional(),
  /** Who each diarized speaker turned out to be (null: unknown). */
  speakers: z.record(z.string(), speakerMatchSchema).optional(),
  /** Why part of the result is missing although the job completed (e.g. the extraction was refused). */
  warnings: z.array(z.string()).optional(),
  /** The cost ledger (model/usage.ts). */
  usage: usageSchema.optional(),
  /** A re-run reuses the objects (normalized audio, segments) of this earlier job; the sweep keeps them meanwhile. */
  artifacts_job_id: z.string().optional(),
  /** When the reused artifacts were made: their retention counts from then. */
  artifacts_created_at: isoTime.optional(),
  /** Set on a job that re-runs one stage of an earlier job. */
  rerun: z.object({ stage: z.string(), of_job: z.string() }).optional(),
});
export type Postprocessing = z.infer<typeof postprocessingSchema>;

export const isTerminal = (pp: Pick<Postprocessing, "status"> | undefined) =>
  !!pp && TERMINAL_STATUSES.includes(pp.status);

/** Which job a message or event is about. */
export const jobRefSchema = z.object({
  uid: z.string().min(1),
  memoryId: z.string().min(1),
  jobId: z.string().min(1),
});
export type JobRef = z.infer<typeof jobRefSchema>;

/** The message every Pub/Sub stage receives: ids only, every stage re-reads Firestore. */
export const jobMessageSchema = jobRefSchema;
export type JobMessage = JobRef;

/** Custom metadata on uploaded objects in the post-processing bucket. */
export const uploadMetadataSchema = jobRefSchema.extend({
  /** The upload's flags that are set, comma-separated (e.g. "emotional_feedback"); the job holds them too. */
  flags: z.string().default(""),
  uploadedVia: z.enum(["multipart", "resumable"]).default("multipart"),
});
export type UploadMetadata = z.input<typeof uploadMetadataSchema>;
