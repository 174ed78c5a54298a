/** Reading and writing our objects: provider read URLs, audio as samples, job JSON, uploads that never overwrite. */
import { join } from "node:path";
import { Readable } from "node:stream";
import type { File } from "@google-cloud/storage";
import { DERIVED_OBJECT_TAG } from "../config.js";
import type { JobRef, UploadMetadata } from "../model/job.js";
import { readWavSamples, type PcmAudio } from "../audio/pcm.js";
import { withTempDir } from "../audio/tempDir.js";
import { bucket } from "./firebase.js";

const PRECONDITION_FAILED = 412;

/**
 * Custom metadata of an object the pipeline derived from a job's upload: tagged so the finalize trigger ignores it,
 * and carrying the job's ids so the sweep can tell when it may go.
 */
export const derivedMetadata = (job: JobRef, kind: string): Record<string, string> => ({
  [DERIVED_OBJECT_TAG]: kind,
  uid: job.uid,
  memoryId: job.memoryId,
  jobId: job.jobId,
});

/** A V4 signed URL reading `file` for `lifetimeMs` (Cloud Storage allows at most 7 days). */
export async function signedReadUrl(file: File, lifetimeMs: number): Promise<string> {
  const [url] = await file.getSignedUrl({ version: "v4", action: "read", expires: Date.now() + lifetimeMs });
  return url;
}

/**
 * A read URL for `name` that a provider can use for `lifetimeMs`: a V4 signed URL (deployed, the functions' service
 * account needs `iam.serviceAccounts.signBlob` on itself; the provider test project signs with a key of its own). Only
 * an emulator without any key to sign with gets the emulator's plain media URL instead.
 */
export async function readUrlFor(bucketName: string, name: string, lifetimeMs: number): Promise<string> {
  try {
    return await signedReadUrl(bucket(bucketName).file(name), lifetimeMs);
  } catch (err) {
    const emulatorHost = process.env.FIREBASE_STORAGE_EMULATOR_HOST;
    if (!emulatorHost || process.env.GOOGLE_APPLICATION_CREDENTIALS) throw err;
    return `http://${emulatorHost}/v0/b/${bucketName}/o/${encodeURIComponent(name)}?alt=media`;
  }
}

/** A 16-bit PCM WAV object (the job's normalized audio) as samples; the download is removed again. */
export function downloadWavSamples(bucketName: string, name: string): Promise<PcmAudio> {
  return withTempDir("wav-download", async (dir) => {
    const path = join(dir, "audio.wav");
    await bucket(bucketName).file(name).download({ destination: path });
    return readWavSamples(path);
  });
}

/** Saves an intermediate result of a job as JSON beside its audio (swept with it once the job is over). */
export async function saveJobJson(
  bucketName: string,
  name: string,
  job: JobRef,
  kind: string,
  data: unknown,
): Promise<void> {
  await bucket(bucketName)
    .file(name)
    .save(JSON.stringify(data), {
      resumable: false,
      contentType: "application/json",
      metadata: { metadata: derivedMetadata(job, kind) },
    });
}

export async function loadJobJson<T>(bucketName: string, name: string): Promise<T> {
  const [bytes] = await bucket(bucketName).file(name).download();
  return JSON.parse(bytes.toString("utf8")) as T;
}

/**
 * Writes an upload kept as chunks (never concatenated) to a new object in one request. The object must not exist
 * (`ifGenerationMatch: 0`: a user's upload is never overwritten), which also makes the write safe to retry: the
 * client retries transient failures (a reset connection, 5xx) by replaying the chunks. A 412 on a retry means an
 * earlier attempt landed after all; it counts as written when the stored size and metadata are ours.
 */
export async function writeNewObject(
  file: File,
  chunks: Buffer[],
  contentType: string,
  metadata: Record<string, string>,
): Promise<void> {
  const size = chunks.reduce((n, c) => n + c.length, 0);
  try {
    await file.save(() => Readable.from(chunks), {
      resumable: false,
      contentType,
      metadata: { metadata },
      preconditionOpts: { ifGenerationMatch: 0 },
    });
  } catch (err) {
    if ((err as { code?: number }).code !== PRECONDITION_FAILED) throw err;
    const [stored] = await file.getMetadata();
    const same = Number(stored.size) === size && Object.entries(metadata).every(([k, v]) => stored.metadata?.[k] === v);
    if (!same) throw err;
  }
}

/** Custom metadata of an upload in the post-processing bucket: the job it starts (read by prepareAudio). */
export function uploadMetadata(
  job: JobRef,
  flags: Record<string, boolean>,
  uploadedVia: "multipart" | "resumable",
): Record<string, string> {
  const metadata: Required<UploadMetadata> = {
    ...job,
    flags: Object.keys(flags)
      .filter((f) => flags[f])
      .join(","),
    uploadedVia,
  };
  return metadata;
}
