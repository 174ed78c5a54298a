/** Starting a job for an upload, shared by the multipart endpoint and the resumable upload session. */
import type { Config } from "../config.js";
import type { JobRef } from "../model/job.js";
import type { AudioFormat } from "../audio/sniff.js";
import { db } from "../store/firebase.js";
import { createJob, newJobId, refusalForNewJob, type CreatedJob } from "../store/jobs.js";
import { uploadObjectName } from "../store/objectNames.js";
import { memoryPath } from "../store/paths.js";
import { refusalError } from "./refusals.js";

/** Cheap pre-check before parsing the body, so refusals don't depend on what was uploaded. */
export async function assertMemoryAcceptsJob(uid: string, memoryId: string, config: Config): Promise<void> {
  const snap = await db().doc(memoryPath(uid, memoryId)).get();
  const refusal = refusalForNewJob(snap.data(), new Date(), config.jobStaleAfterMs);
  if (refusal) throw refusalError(refusal);
}

export interface StartedJob extends CreatedJob {
  job: JobRef;
  /** `{uid}/{memoryId}/{jobId}.{ext}`, in the post-processing bucket (and recordings, when kept). */
  objectName: string;
}

/** Creates the job for an upload of `format` (re-checking the memory in the same transaction). */
export async function startJobForUpload(opts: {
  uid: string;
  memoryId: string;
  /** The upload flags (requestParams.ts uploadFlagsParam). */
  flags: Record<string, boolean>;
  format: AudioFormat;
  sizeBytes: number | null;
  via: "multipart" | "resumable";
  /** The upload's duration as its container declares it, when known (fair use counts it). */
  estimatedSeconds: number | null;
  config: Config;
}): Promise<StartedJob> {
  const job = { uid: opts.uid, memoryId: opts.memoryId, jobId: newJobId() };
  const objectName = uploadObjectName(job, opts.format.ext);
  const created = await createJob({
    ...job,
    flags: opts.flags,
    now: new Date(),
    staleAfterMs: opts.config.jobStaleAfterMs,
    usage: { seconds: opts.estimatedSeconds ?? 0, caps: opts.config.fairUse },
    phase: opts.via === "multipart" ? "uploading" : "awaiting_upload",
    audio: {
      postprocessing_object: objectName,
      recording_object: objectName,
      format: opts.format.ext,
      content_type: opts.format.contentType,
      size_bytes: opts.sizeBytes,
      uploaded_via: opts.via,
    },
  });
  return { ...created, job, objectName };
}
