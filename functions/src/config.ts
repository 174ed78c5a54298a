/**
 * Every parameter and secret the functions read, in one place. Params are resolved by the Functions runtime from
 * `functions/.env`, `.env.<projectId>` (and `.env.local` in the emulator); trigger options reference the param
 * objects themselves so deploys bind them, and handlers call `loadConfig()` at run time.
 */
import { defineInt, defineString } from "firebase-functions/params";

export const REGION = "us-central1";

export const POSTPROCESSING_BUCKET = defineString("POSTPROCESSING_BUCKET", {
  description: "Bucket holding uploaded audio for post-processing and its normalized copies (deleted after retention).",
});
export const RECORDINGS_BUCKET = defineString("RECORDINGS_BUCKET", {
  description: "Bucket keeping recordings of users who allow audio storage (store_recording_permission).",
});
export const MAX_UPLOAD_BYTES = defineInt("MAX_UPLOAD_BYTES", {
  description: "Largest audio file accepted in the multipart upload (the platform caps the whole body at 32 MiB).",
  default: 30 * 1024 * 1024,
});
export const MAX_RESUMABLE_UPLOAD_BYTES = defineInt("MAX_RESUMABLE_UPLOAD_BYTES", {
  description: "Largest audio file accepted through a resumable upload session.",
  default: 1024 * 1024 * 1024,
});
export const MIN_AUDIO_SECONDS = defineInt("MIN_AUDIO_SECONDS", {
  description: "Audio shorter than this is never post-processed (the job is canceled).",
  default: 10,
});
export const TRANSCRIPT_SHORTFALL_SECONDS = defineInt("TRANSCRIPT_SHORTFALL_SECONDS", {
  description: "Audio shorter than the memory's existing transcript span minus this many seconds is a cut-off upload.",
  default: 10,
});
export const POSTPROCESSING_RETENTION_HOURS = defineInt("POSTPROCESSING_RETENTION_HOURS", {
  description: "Hours post-processing audio is kept after upload (never deleted before its job is terminal).",
  default: 24,
});
export const JOB_STALE_AFTER_MINUTES = defineInt("JOB_STALE_AFTER_MINUTES", {
  description: "An in-progress job untouched this long no longer blocks a new upload for the memory.",
  default: 120,
});
export const STAGE_LEASE_SECONDS = defineInt("STAGE_LEASE_SECONDS", {
  description: "How long a stage invocation owns its stage before another delivery may take over.",
  default: 600,
});
export const STAGE_MAX_ATTEMPTS = defineInt("STAGE_MAX_ATTEMPTS", {
  description: "Attempts per stage before the job fails.",
  default: 5,
});

export interface Config {
  postprocessingBucket: string;
  recordingsBucket: string;
  maxUploadBytes: number;
  maxResumableUploadBytes: number;
  minAudioSeconds: number;
  transcriptShortfallSeconds: number;
  retentionMs: number;
  jobStaleAfterMs: number;
  stageLeaseMs: number;
  stageMaxAttempts: number;
}

export function loadConfig(): Config {
  return {
    postprocessingBucket: POSTPROCESSING_BUCKET.value(),
    recordingsBucket: RECORDINGS_BUCKET.value(),
    maxUploadBytes: MAX_UPLOAD_BYTES.value(),
    maxResumableUploadBytes: MAX_RESUMABLE_UPLOAD_BYTES.value(),
    minAudioSeconds: MIN_AUDIO_SECONDS.value(),
    transcriptShortfallSeconds: TRANSCRIPT_SHORTFALL_SECONDS.value(),
    retentionMs: POSTPROCESSING_RETENTION_HOURS.value() * 3_600_000,
    jobStaleAfterMs: JOB_STALE_AFTER_MINUTES.value() * 60_000,
    stageLeaseMs: STAGE_LEASE_SECONDS.value() * 1000,
    stageMaxAttempts: STAGE_MAX_ATTEMPTS.value(),
  };
}

/** Pub/Sub topics between stages. Messages carry ids only: {uid, memoryId, jobId}. */
export const TOPICS = {
  transcribe: "postprocessing-transcribe",
} as const;

/** Custom-metadata key marking objects the pipeline wrote itself, so the finalize trigger ignores them. */
export const DERIVED_OBJECT_TAG = "pipelineDerived";
