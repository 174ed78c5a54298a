/**
 * A memory's audio as 16 kHz mono WAV, from wherever it is still kept: the processing copy's normalized WAV, else the
 * processing copy as uploaded, else the recording kept in the recordings bucket (only while the user allows audio
 * storage). The post-processing bucket is swept after its retention (scheduled/sweepExpiredAudio.ts), and the
 * recordings bucket holds audio only with the user's consent, so a memory's audio can be gone: then the caller is told
 * why (`storage_not_allowed` or `expired`).
 */
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { decodeToWav16kMonoStream } from "../audio/normalize.js";
import { withTempDir } from "../audio/tempDir.js";
import type { Config } from "../config.js";
import type { Postprocessing } from "../model/job.js";
import { bucket } from "./firebase.js";
import { allowsAudioStorage } from "./users.js";

export type AudioSource = "processing_copy" | "recording";
export type NoAudio = { missing: "storage_not_allowed" | "expired" };

const exists = async (bucketName: string, name: string | null | undefined) =>
  !!name && (await bucket(bucketName).file(name).exists())[0];

/** Runs `read` on the memory's audio as a WAV stream, or says why there is none. */
export async function withMemoryAudio<T>(
  config: Pick<Config, "postprocessingBucket" | "recordingsBucket" | "maxAudioSeconds">,
  uid: string,
  pp: Pick<Postprocessing, "audio">,
  read: (wav: Readable, source: AudioSource) => Promise<T>,
): Promise<T | NoAudio> {
  const { audio } = pp;
  if (await exists(config.postprocessingBucket, audio.normalized_object)) {
    return read(
      bucket(config.postprocessingBucket).file(audio.normalized_object!).createReadStream(),
      "processing_copy",
    );
  }
  const decoded = async (bucketName: string, name: string, source: AudioSource) =>
    withTempDir("memory-audio", async (dir) => {
      const local = join(dir, `audio.${audio.format}`);
      await pipeline(bucket(bucketName).file(name).createReadStream(), createWriteStream(local));
      return read(
        decodeToWav16kMonoStream(local, { format: audio.format, maxSeconds: config.maxAudioSeconds }),
        source,
      );
    });
  if (await exists(config.postprocessingBucket, audio.postprocessing_object))
    return decoded(config.postprocessingBucket, audio.postprocessing_object, "processing_copy");
  const allowed = await allowsAudioStorage(uid);
  if (allowed && (await exists(config.recordingsBucket, audio.recording_object)))
    return decoded(config.recordingsBucket, audio.recording_object!, "recording");
  return { missing: allowed ? "expired" : "storage_not_allowed" };
}

export const isNoAudio = (x: unknown): x is NoAudio => typeof x === "object" && x !== null && "missing" in x;
