/**
 * `POST /v1/memories/{memoryId}/post-processing` — the app's upload: multipart field `file`, optional
 * `?emotional_feedback=`, Firebase ID token. Answers 200 with the memory (postprocessing in_progress) and a Location
 * for the job; every refusal is a JSON error and leaves Firestore and Storage untouched.
 */
import type { Request, Response } from "express";
import { loadConfig, type Config } from "../config.js";
import { HttpError } from "../errors.js";
import * as logs from "../logs.js";
import { uploadDurationSeconds } from "../audio/probe.js";
import { sniffAudioFormat, SUPPORTED_FORMATS_TEXT } from "../audio/sniff.js";
import { bucket, db } from "../store/firebase.js";
import { confirmKept, deleteReplacedRecording } from "../store/keepAudio.js";
import { memoryPath } from "../store/paths.js";
import { rollbackJob } from "../store/jobs.js";
import { releaseUsage } from "../store/usage.js";
import { uploadMetadata, writeNewObject } from "../store/objects.js";
import { toAppMemory } from "./json.js";
import { authenticate } from "./auth.js";
import { parseMultipartFile } from "./multipart.js";
import { uploadFlagsParam, jobLocation, memoryIdParam } from "./requestParams.js";
import { assertMemoryAcceptsJob, startJobForUpload, type StartedJob } from "./startJob.js";

export async function uploadForPostProcessing(req: Request, res: Response): Promise<void> {
  const config = loadConfig();
  const uid = await authenticate(req);
  const memoryId = memoryIdParam(req);
  const flags = uploadFlagsParam(req);
  const ctx = { uid, memoryId };
  await assertMemoryAcceptsJob(uid, memoryId, config);

  // 2nd-gen HTTPS functions (and their emulator) hand us the body already read as `rawBody`.
  const rawBody = (req as Request & { rawBody?: Buffer }).rawBody;
  const upload = await parseMultipartFile(req.headers, rawBody, { fieldName: "file", maxBytes: config.maxUploadBytes });
  const format = await sniffAudioFormat(upload.head);
  if (!format) throw new HttpError(415, "unsupported_media_type", `The file is not ${SUPPORTED_FORMATS_TEXT}.`);

  const created = await startJobForUpload({
    uid,
    memoryId,
    flags,
    format,
    sizeBytes: upload.size,
    via: "multipart",
    estimatedSeconds: await uploadDurationSeconds(upload.chunks, format.ext),
    config,
  });
  const { job, objectName } = created;
  const jobId = job.jobId;
  const metadata = uploadMetadata(job, flags, "multipart");
  try {
    await Promise.all([
      created.keepRecording
        ? writeNewObject(bucket(config.recordingsBucket).file(objectName), upload.chunks, format.contentType, {
            uid,
            memoryId,
            jobId,
          })
        : null,
      writeNewObject(bucket(config.postprocessingBucket).file(objectName), upload.chunks, format.contentType, metadata),
    ]);
  } catch (err) {
    logs.uploadStorageFailed({ ...ctx, jobId }, err);
    await rollbackJob(uid, memoryId, jobId, created.previous);
    await releaseUsage(job);
    await Promise.allSettled([
      bucket(config.postprocessingBucket).file(objectName).delete({ ignoreNotFound: true }),
      created.keepRecording ? bucket(config.recordingsBucket).file(objectName).delete({ ignoreNotFound: true }) : null,
    ]);
    throw new HttpError(503, "storage_unavailable", "The audio could not be stored; nothing was changed. Retry later.");
  }

  const kept = created.keepRecording && (await confirmKeptUpload(uid, memoryId, objectName, created, config));
  logs.uploadAccepted(
    { ...ctx, jobId },
    { format: format.ext, sizeBytes: upload.size, keepRecording: kept, via: "multipart" },
  );
  res.status(200).location(jobLocation(jobId)).json(toAppMemory(memoryId, created.memory));
}

/**
 * The kept copy is confirmed against the permission it was written under (a revocation meanwhile deletes it and puts
 * the memory's reference back); once confirmed, the recording of the job it replaces is deleted, since nothing refers
 * to it any more.
 */
async function confirmKeptUpload(
  uid: string,
  memoryId: string,
  objectName: string,
  created: StartedJob,
  config: Config,
): Promise<boolean> {
  const memoryRef = db().doc(memoryPath(uid, memoryId));
  const field = "postprocessing.audio.recording_object";
  const kept = await confirmKept(uid, created.grant, bucket(config.recordingsBucket).file(objectName), {
    revoked: async (tx) => {
      if ((await tx.get(memoryRef)).get(field) === objectName) tx.update(memoryRef, { [field]: null });
    },
  });
  if (kept && created.previousRecording && created.previousRecording !== objectName) {
    await deleteReplacedRecording(uid, config.recordingsBucket, created.previousRecording);
  }
  return kept;
}
