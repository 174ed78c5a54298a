/**
 * Every object name the pipeline uses, in one place: the contracts the app (recordings), the stages and the sweep
 * share. A job's objects live under `{uid}/{memoryId}/{jobId}…` in the post-processing bucket and are swept with it.
 */
import type { JobRef } from "../model/job.js";

const jobPrefix = (job: JobRef) => `${job.uid}/${job.memoryId}/${job.jobId}`;

/** The upload, `{uid}/{memoryId}/{jobId}.{ext}`, in both the post-processing and the recordings bucket. */
export const uploadObjectName = (job: JobRef, ext: string) => `${jobPrefix(job)}.${ext}`;
/** The 16 kHz mono WAV prepareAudio writes beside the upload. */
export const normalizedObjectName = (job: JobRef) => `${jobPrefix(job)}.16k.wav`;
/** The diarized words of the whole recording (a long recording's words exceed Firestore's 1 MiB). */
export const wordsObjectName = (job: JobRef) => `${jobPrefix(job)}.words.json`;
/** Offline transcription: the words of one chunk. */
export const chunkWordsObjectName = (job: JobRef, index: number) =>
  `${jobPrefix(job)}.chunk-${String(index).padStart(4, "0")}.json`;
/** The grouped segments between `segment` and `identify`. */
export const segmentsObjectName = (job: JobRef) => `${jobPrefix(job)}.segments.json`;
/**
 * What one of `reprocess`'s providers returned (`extraction`, `embedding`), saved as soon as it is paid for, so a
 * failed or crashed attempt never pays for it again.
 */
export const reprocessResultObjectName = (job: JobRef, step: "extraction" | "embedding") =>
  `${jobPrefix(job)}.reprocess-${step}.json`;
/** The emotion analysis so far (one entry per Hume request), saved after each request for the same reason. */
export const emotionResultObjectName = (job: JobRef) => `${jobPrefix(job)}.emotion.json`;
/** Where the enrollment samples of one profile (`self` or a person's id) are kept in the recordings bucket. */
export const voiceSamplePrefix = (uid: string, owner: string) => `${uid}/speech_profiles/${owner}/`;
/** An enrollment sample kept in the recordings bucket (only when the user allows audio storage). */
export const voiceSampleObjectName = (uid: string, owner: string, at: Date, ext: string) =>
  `${voiceSamplePrefix(uid, owner)}${at.getTime()}.${ext}`;
/** Everything of one user in a bucket: their uploads and, in the recordings bucket, their kept voice samples too. */
export const userObjectPrefix = (uid: string) => `${uid}/`;
