/** Generated audio fixtures: PCM WAV built in code, other formats encoded from it with the project's ffmpeg. */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runFfmpeg } from "../../src/audio/ffmpeg.js";
import { encodeWavSamples } from "../../src/audio/pcm.js";
import { withTempDir } from "../../src/audio/tempDir.js";

/** A speech-like test signal: a gliding tone with syllable-rate amplitude modulation and a little noise. */
export function makeWav(opts: { seconds: number; sampleRate?: number; channels?: number; baseHz?: number }): Buffer {
  const sampleRate = opts.sampleRate ?? 44_100;
  const channels = opts.channels ?? 2;
  const frames = Math.round(opts.seconds * sampleRate);
  const samples = new Float32Array(frames * channels);
  const base = opts.baseHz ?? 180;
  let seed = 12345;
  for (let i = 0; i < frames; i++) {
    const t = i / sampleRate;
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const noise = (seed / 0x7fffffff - 0.5) * 0.02;
    const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
    const f = base * (1 + 0.1 * Math.sin(2 * Math.PI * 0.5 * t));
    const v = Math.max(
      -1,
      Math.min(1, 0.4 * envelope * (Math.sin(2 * Math.PI * f * t) + 0.3 * Math.sin(4 * Math.PI * f * t)) + noise),
    );
    for (let c = 0; c < channels; c++) samples[i * channels + c] = v;
  }
  return encodeWavSamples(samples, sampleRate, channels);
}

const CODEC_ARGS: Record<string, string[]> = {
  mp3: ["-c:a", "libmp3lame", "-b:a", "64k"],
  m4a: ["-c:a", "aac", "-b:a", "64k"],
  ogg: ["-c:a", "libopus", "-b:a", "32k"],
  flac: ["-c:a", "flac"],
};

/** Encodes a WAV buffer to another container with ffmpeg. */
export async function encodeAudio(wav: Buffer, ext: keyof typeof CODEC_ARGS): Promise<Buffer> {
  return withTempDir("fixture", async (dir) => {
    await writeFile(join(dir, "in.wav"), wav);
    await runFfmpeg(["-i", join(dir, "in.wav"), ...CODEC_ARGS[ext], "-y", join(dir, `out.${ext}`)]);
    return readFile(join(dir, `out.${ext}`));
  });
}
