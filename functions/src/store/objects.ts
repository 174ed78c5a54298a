/** Reading and writing our objects: provider read URLs, audio as samples, streamed uploads. */
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { readWavSamples, type PcmAudio } from "../audio/pcm.js";
import { bucket } from "../firebase.js";
import { withTempDir } from "../tempDir.js";

const URL_LIFETIME_MS = 6 * 60 * 60 * 1000;

/**
 * A short-lived read URL for `name`. In production a V4 signed URL (the functions' service account needs
 * `iam.serviceAccounts.signBlob` on itself); in the emulator, which cannot sign without a key, its plain media URL.
 */
export async function readUrlFor(bucketName: string, name: string): Promise<string> {
  const emulatorHost = process.env.FIREBASE_STORAGE_EMULATOR_HOST;
  if (emulatorHost) return `http://${emulatorHost}/v0/b/${bucketName}/o/${encodeURIComponent(name)}?alt=media`;
  const [url] = await bucket(bucketName).file(name).getSignedUrl({ version: "v4", action: "read", expires: Date.now() + URL_LIFETIME_MS });
  return url;
}

/** A 16-bit PCM WAV object (the job's normalized audio) as samples; the download is removed again. */
export function downloadWavSamples(bucketName: string, name: string): Promise<PcmAudio> {
  return withTempDir("wav-download", async (dir) => {
    const path = join(dir, "audio.wav");
    await bucket(bucketName).file(name).download({ destination: path });
    return readWavSamples(path);
  });
}

/** Writes an upload kept as chunks (never concatenated) to an object in one request. */
export async function writeChunks(bucketName: string, name: string, chunks: Buffer[], contentType: string, metadata: Record<string, string>): Promise<void> {
  const file = bucket(bucketName).file(name);
  await pipeline(Readable.from(chunks), file.createWriteStream({ resumable: false, contentType, metadata: { metadata } }));
}
