/** Intermediate results of a job as JSON objects beside its audio (swept with it once the job is over). */
import { DERIVED_OBJECT_TAG } from "../config.js";
import { bucket } from "../firebase.js";
import type { JobRef } from "./stages.js";

export const segmentsObjectName = (job: JobRef) => `${job.uid}/${job.memoryId}/${job.jobId}.segments.json`;

export async function saveJobJson(bucketName: string, name: string, job: JobRef, kind: string, data: unknown): Promise<void> {
  await bucket(bucketName).file(name).save(JSON.stringify(data), {
    resumable: false,
    contentType: "application/json",
    metadata: { metadata: { [DERIVED_OBJECT_TAG]: kind, uid: job.uid, memoryId: job.memoryId, jobId: job.jobId } },
  });
}

export async function loadJobJson<T>(bucketName: string, name: string): Promise<T> {
  const [bytes] = await bucket(bucketName).file(name).download();
  return JSON.parse(bytes.toString("utf8")) as T;
}
