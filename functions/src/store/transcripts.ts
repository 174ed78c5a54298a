/** Raw transcription output lives in Storage as JSON (a long recording's words exceed Firestore's 1 MiB). */
import { DERIVED_OBJECT_TAG } from "../config.js";
import { bucket } from "../firebase.js";
import type { Transcript } from "../providers/transcriber/types.js";
import type { JobRef } from "./stages.js";

export const wordsObjectName = (job: JobRef) => `${job.uid}/${job.memoryId}/${job.jobId}.words.json`;
export const chunkWordsObjectName = (job: JobRef, index: number) => `${job.uid}/${job.memoryId}/${job.jobId}.chunk-${String(index).padStart(4, "0")}.json`;

export async function saveTranscriptJson(bucketName: string, name: string, job: JobRef, transcript: Transcript): Promise<void> {
  await bucket(bucketName).file(name).save(JSON.stringify(transcript), {
    resumable: false,
    contentType: "application/json",
    metadata: { metadata: { [DERIVED_OBJECT_TAG]: "transcript", uid: job.uid, memoryId: job.memoryId, jobId: job.jobId } },
  });
}

export async function loadTranscriptJson(bucketName: string, name: string): Promise<Transcript> {
  const [bytes] = await bucket(bucketName).file(name).download();
  return JSON.parse(bytes.toString("utf8")) as Transcript;
}
