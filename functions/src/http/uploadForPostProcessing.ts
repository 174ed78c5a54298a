/**
 * `POST /v1/memories/{memoryId}/post-processing` — the app's upload: multipart field `file`, optional
 * `?emotional_feedback=`, Firebase ID token. Answers 200 with the memory (postprocessing in_progress) and a Location
 * for the job; every refusal is a JSON error and leaves Firestore and Storage untouched.
 */
import type { Request, Response } from "express";
import { loadConfig, type Config } from "../config.js";
import { HttpError } from "../errors.js";
import { bucket, db } from "../firebase.js";
import * as logs from "../logs.js";
import { sniffAudioFormat, SUPPORTED_FORMATS_TEXT } from "../audio/sniff.js";
import { createJob, newJobId, refusalForNewJob, rollbackJob } from "../store/jobs.js";
import { writeNewObject } from "../store/objects.js";
import { memoryPath, uploadObjectName } from "../store/paths.js";
import { toAppMemory } from "../store/serialize.js";
import { authenticate } from "./auth.js";
import { parseMultipartFile } from "./multipart.js";
import { emotionalFeedbackParam, jobLocation, memoryIdParam } from "./requestParams.js";

/** Cheap pre-check before parsing the body, so refusals don't depend on what was uploaded. */
export async function assertMemoryAcceptsJob(uid: string, memoryId: string, config: Config): Promise<void> {
  const snap = await db().doc(memoryPath(uid, memoryId)).get();
  const refusal = refusalForNewJob(snap.data(), new Date(), config.jobStaleAfterMs);
  if (refusal) throw refusal;
}

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

  const jobId = newJobId();
  const objectName = uploadObjectName(uid, memoryId, jobId, format.ext);
  const created = await createJob({
    uid, memoryId, jobId, emotionalFeedback, now: new Date(), staleAfterMs: config.jobStaleAfterMs, phase: "uploading",
    audio: {
      postprocessing_object: objectName, recording_object: objectName, format: format.ext, content_type: format.contentType,
      size_bytes: upload.size, uploaded_via: "multipart",
    },
  });

  const metadata = { uid, memoryId, jobId, emotionalFeedback: String(emotionalFeedback), uploadedVia: "multipart" };
  try {
    await Promise.all([
      created.keepRecording ? writeNewObject(bucket(config.recordingsBucket).file(objectName), upload.chunks, format.contentType, { uid, memoryId, jobId }) : null,
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

  logs.uploadAccepted({ ...ctx, jobId }, { format: format.ext, sizeBytes: upload.size, keepRecording: created.keepRecording, via: "multipart" });
  res.status(200).location(jobLocation(jobId)).json(toAppMemory(memoryId, created.memory));
}
