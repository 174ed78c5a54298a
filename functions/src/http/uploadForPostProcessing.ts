/**
 * `POST /v1/memories/{memoryId}/post-processing` — the app's upload: multipart field `file`, optional
 * `?emotional_feedback=`, Firebase ID token. Answers 200 with the memory (postprocessing in_progress) and a Location
 * for the job; every refusal is a JSON error and leaves Firestore and Storage untouched.
 */
import type { Request, Response } from "express";
import { loadConfig } from "../config.js";
import { HttpError } from "../errors.js";
import * as logs from "../logs.js";
import { sniffAudioFormat, SUPPORTED_FORMATS_TEXT } from "../audio/sniff.js";
import { bucket } from "../store/firebase.js";
import { rollbackJob } from "../store/jobs.js";
import { uploadMetadata, writeNewObject } from "../store/objects.js";
import { toAppMemory } from "./json.js";
import { authenticate } from "./auth.js";
import { parseMultipartFile } from "./multipart.js";
import { emotionalFeedbackParam, jobLocation, memoryIdParam } from "./requestParams.js";
import { assertMemoryAcceptsJob, startJobForUpload } from "./startJob.js";

export async function uploadForPostProcessing(req: Request, res: Response): Promise<void> {
  const config = loadConfig();
  const uid = await authenticate(req);
  const memoryId = memoryIdParam(req);
  const emotionalFeedback = emotionalFeedbackParam(req);
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
    emotionalFeedback,
    format,
    sizeBytes: upload.size,
    via: "multipart",
    config,
  });
  const { job, objectName } = created;
  const jobId = job.jobId;
  const metadata = uploadMetadata(job, emotionalFeedback, "multipart");
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
    await Promise.allSettled([
      bucket(config.postprocessingBucket).file(objectName).delete({ ignoreNotFound: true }),
      created.keepRecording ? bucket(config.recordingsBucket).file(objectName).delete({ ignoreNotFound: true }) : null,
    ]);
    throw new HttpError(503, "storage_unavailable", "The audio could not be stored; nothing was changed. Retry later.");
  }

  logs.uploadAccepted(
    { ...ctx, jobId },
    { format: format.ext, sizeBytes: upload.size, keepRecording: created.keepRecording, via: "multipart" },
  );
  res.status(200).location(jobLocation(jobId)).json(toAppMemory(memoryId, created.memory));
}
