/**
 * `POST /v1/memories/{memoryId}/post-processing/upload-session` — for recordings over the HTTPS body limit.
 * Body `{content_type, size_bytes}`: the exact size, at most MAX_RESUMABLE_UPLOAD_BYTES; the session accepts no more.
 * Creates the job and opens a resumable upload session on the same object path the multipart endpoint uses; the
 * client PUTs the file to `upload.url` and the storage trigger starts the pipeline.
 */
import type { Request, Response } from "express";
import { z } from "zod";
import { loadConfig } from "../config.js";
import { HttpError } from "../errors.js";
import * as logs from "../logs.js";
import { DECLARABLE_CONTENT_TYPES } from "../audio/sniff.js";
import { bucket } from "../store/firebase.js";
import { rollbackJob } from "../store/jobs.js";
import { releaseUsage } from "../store/usage.js";
import { uploadMetadata } from "../store/objects.js";
import { toAppMemory } from "./json.js";
import { authenticate } from "./auth.js";
import { uploadFlagsParam, memoryIdParam } from "./requestParams.js";
import { assertMemoryAcceptsJob, startJobForUpload } from "./startJob.js";

const bodySchema = z.object({
  content_type: z.string().min(1),
  size_bytes: z.number().int().positive(),
});

export async function openUploadSession(req: Request, res: Response): Promise<void> {
  const config = loadConfig();
  const uid = await authenticate(req);
  const memoryId = memoryIdParam(req);
  const flags = uploadFlagsParam(req);
  if (!req.is("application/json"))
    throw new HttpError(415, "unsupported_media_type", "Send a JSON body {content_type, size_bytes}.");
  const parsed = bodySchema.safeParse(req.body);
  if (!parsed.success)
    throw new HttpError(
      400,
      "invalid_argument",
      `Invalid body: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const contentType = parsed.data.content_type.split(";")[0].trim().toLowerCase();
  const format = DECLARABLE_CONTENT_TYPES[contentType];
  if (!format)
    throw new HttpError(415, "unsupported_media_type", `content_type ${contentType} is not a supported audio type.`);
  if (parsed.data.size_bytes > config.maxResumableUploadBytes) {
    throw new HttpError(413, "payload_too_large", `Recordings are limited to ${config.maxResumableUploadBytes} bytes.`);
  }
  await assertMemoryAcceptsJob(uid, memoryId, config);

  const sizeBytes = parsed.data.size_bytes;
  const created = await startJobForUpload({
    uid,
    memoryId,
    flags,
    format,
    sizeBytes,
    via: "resumable",
    // Not known before the audio arrives: prepare_audio counts it (and cancels the job if it does not fit).
    estimatedSeconds: null,
    config,
  });
  const { job, objectName } = created;
  const jobId = job.jobId;

  let url: string;
  try {
    [url] = await bucket(config.postprocessingBucket)
      .file(objectName)
      .createResumableUpload({
        metadata: {
          contentType: format.contentType,
          // X-Upload-Content-Length: Cloud Storage holds the session to the declared size (prepare_audio checks the
          // finalized object's size against it too: the Storage emulator does not enforce it).
          contentLength: sizeBytes,
          metadata: uploadMetadata(job, flags, "resumable"),
        },
        origin: req.get("origin") ?? undefined,
      });
  } catch (err) {
    logs.uploadStorageFailed({ uid, memoryId, jobId }, err);
    await rollbackJob(uid, memoryId, jobId, created.previous);
    await releaseUsage(job);
    throw new HttpError(
      503,
      "storage_unavailable",
      "Could not open an upload session; nothing was changed. Retry later.",
    );
  }

  logs.uploadAccepted(
    { uid, memoryId, jobId },
    {
      format: format.ext,
      sizeBytes,
      keepRecording: created.keepRecording,
      via: "resumable",
    },
  );
  res
    .status(200)
    .location(`jobs/${encodeURIComponent(jobId)}`)
    .json({
      job_id: jobId,
      upload: {
        url,
        method: "PUT",
        headers: { "Content-Type": format.contentType },
        max_bytes: config.maxResumableUploadBytes,
      },
      memory: toAppMemory(memoryId, created.memory),
    });
}
