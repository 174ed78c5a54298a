/** Generated audio fixtures: PCM WAV built in code, other formats encoded from it with the project's ffmpeg. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runFfmpeg } from "../../src/audio/normalize.js";

/** A speech-like test signal: a gliding tone with syllable-rate amplitude modulation and a little noise. */
export function makeWav(opts: { seconds: number; sampleRate?: number; channels?: number; baseHz?: number }): Buffer {
  const sampleRate = opts.sampleRate ?? 44_100;
  const channels = opts.channels ?? 2;
  const frames = Math.round(opts.seconds * sampleRate);
  const data = Buffer.alloc(frames * channels * 2);
  const base = opts.baseHz ?? 180;
  let seed = 12345;
  for (let i = 0; i < frames; i++) {
    const t = i / sampleRate;
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const noise = (seed / 0x7fffffff - 0.5) * 0.02;
    const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
    const f = base * (1 + 0.1 * Math.sin(2 * Math.PI * 0.5 * t));
    const v = Math.max(-1, Math.min(1, 0.4 * envelope * (Math.sin(2 * Math.PI * f * t) + 0.3 * Math.sin(4 * Math.PI * f * t)) + noise));
    for (let c = 0; c < channels; c++) data.writeInt16LE(Math.round(v * 32767), (i * channels + c) * 2);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

const CODEC_ARGS: Record<string, string[]> = {
  mp3: ["-c:a", "libmp3lame", "-b:a", "64k"],
  m4a: ["-c:a", "aac", "-b:a", "64k"],
  ogg: ["-c:a", "libopus", "-b:a", "32k"],
  flac: ["-c:a", "flac"],
};

/** Encodes a WAV buffer to another container with ffmpeg. */
export async function encodeAudio(wav: Buffer, ext: keyof typeof CODEC_ARGS): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "fixture-"));
  try {
    await writeFile(join(dir, "in.wav"), wav);
    await runFfmpeg(["-i", join(dir, "in.wav"), ...CODEC_ARGS[ext]!, "-y", join(dir, `out.${ext}`)]);
    return await readFile(join(dir, `out.${ext}`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
