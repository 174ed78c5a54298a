/** Raw transcription output lives in Storage as JSON (a long recording's words exceed Firestore's 1 MiB). */
import type { Transcript } from "../providers/transcriber/types.js";
import { loadJobJson, saveJobJson } from "./jobJson.js";
import type { JobRef } from "./stages.js";

export const wordsObjectName = (job: JobRef) => `${job.uid}/${job.memoryId}/${job.jobId}.words.json`;
export const chunkWordsObjectName = (job: JobRef, index: number) => `${job.uid}/${job.memoryId}/${job.jobId}.chunk-${String(index).padStart(4, "0")}.json`;

export const saveTranscriptJson = (bucketName: string, name: string, job: JobRef, transcript: Transcript) =>
  saveJobJson(bucketName, name, job, "transcript", transcript);

export const loadTranscriptJson = (bucketName: string, name: string) => loadJobJson<Transcript>(bucketName, name);
