/**
 * 16-bit PCM mono WAV <-> Float32 samples in [-1, 1]. The pipeline's normalized audio is always this format
 * (ffmpeg, 16 kHz mono s16le), which is what VAD, speaker embeddings and local STT consume.
 */
import { readFile, writeFile } from "node:fs/promises";
import { parseWavHeader } from "./wav.js";

export interface PcmAudio {
  samples: Float32Array;
  sampleRate: number;
}

export function decodeWavSamples(wav: Buffer): PcmAudio {
  const info = parseWavHeader(wav);
  if (!info) throw new Error("Not a WAV file");
  if (info.channels !== 1 || info.bitsPerSample !== 16) {
    throw new Error(`Expected 16-bit mono PCM WAV, got ${info.channels} channel(s) of ${info.bitsPerSample}-bit audio`);
  }
  const start = info.dataOffset;
  const count = Math.floor(info.dataBytes / 2);
  const samples = new Float32Array(count);
  for (let i = 0; i < count; i++) samples[i] = wav.readInt16LE(start + 2 * i) / 32768;
  return { samples, sampleRate: info.sampleRate };
}

export async function readWavSamples(path: string): Promise<PcmAudio> {
  return decodeWavSamples(await readFile(path));
}

/** 16-bit PCM WAV of `samples` in [-1, 1] (interleaved when `channels` > 1). */
export function encodeWavSamples(samples: Float32Array, sampleRate: number, channels = 1): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const clipped = Math.max(-1, Math.min(1, samples[i]));
    data.writeInt16LE(Math.round(clipped * 32767), 2 * i);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

export async function writeWavSamples(path: string, samples: Float32Array, sampleRate: number): Promise<void> {
  await writeFile(path, encodeWavSamples(samples, sampleRate));
}

/** The samples between two times (seconds), clamped to the signal. A view, not a copy. */
export function sliceSamples(samples: Float32Array, sampleRate: number, startS: number, endS: number): Float32Array {
  const from = Math.max(0, Math.min(samples.length, Math.round(startS * sampleRate)));
  const to = Math.max(from, Math.min(samples.length, Math.round(endS * sampleRate)));
  return samples.subarray(from, to);
}

/** Pieces of audio one after another (e.g. a speaker's segments, pooled). */
export function concatSamples(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
