/**
 * Synthetic speech for tests: espeak-ng (Debian) voices resampled with the project's ffmpeg to 16 kHz mono, and
 * conversations built from them with exact ground-truth times. Measured median F0 of espeak-ng 1.51 voices: "en-us"
 * ~100 Hz and "en+f3" ~200 Hz are clearly different; "en-us+m7" / "en+f5" give more. ("en-gb+f3" is silently
 * ignored by espeak-ng 1.51: it sounds like plain "en-gb".)
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { runFfmpeg } from "../../src/audio/ffmpeg.js";
import { decodeWavSamples, encodeWavSamples } from "../../src/audio/pcm.js";
import { withTempDir } from "../../src/audio/tempDir.js";

const SAMPLE_RATE = 16_000;

/**
 * Speaks `text` with an espeak-ng voice; returns a 16 kHz mono 16-bit WAV. `wordsPerMinute` is espeak's -s (default
 * 175).
 */
export async function speak(
  text: string,
  voice: string,
  opts: { wordsPerMinute?: number; pitch?: number } = {},
): Promise<Buffer> {
  return withTempDir("speech", async (dir) => {
    const raw = join(dir, "espeak.wav");
    const out = join(dir, "16k.wav");
    await promisify(execFile)("espeak-ng", [
      "-v",
      voice,
      "-s",
      String(opts.wordsPerMinute ?? 175),
      "-p",
      String(opts.pitch ?? 50),
      "-w",
      raw,
      text,
    ]);
    await runFfmpeg([
      "-i",
      raw,
      "-ac",
      "1",
      "-ar",
      String(SAMPLE_RATE),
      "-c:a",
      "pcm_s16le",
      "-fflags",
      "+bitexact",
      "-y",
      out,
    ]);
    return readFile(out);
  });
}

/** espeak pads utterances with digital silence; trimming it makes the ground-truth times the audible speech. */
function trimSilence(samples: Float32Array): Float32Array {
  const audible = (x: number) => Math.abs(x) > 1e-3;
  const first = samples.findIndex(audible);
  if (first < 0) return samples.subarray(0, 0);
  return samples.subarray(first, samples.findLastIndex(audible) + 1);
}

export interface ConversationTurn {
  start: number;
  end: number;
  voice: string;
  text: string;
}

/**
 * Utterances one after another, with `gapS` of silence before, between and after them (a turn's `gapBeforeS`, when
 * given, replaces the silence before that turn).
 */
export async function makeConversation(
  turns: { voice: string; text: string; pitch?: number; gapBeforeS?: number }[],
  { gapS }: { gapS: number },
): Promise<{ wav: Buffer; turns: ConversationTurn[] }> {
  const utterances = await Promise.all(
    turns.map(async (t) => trimSilence(decodeWavSamples(await speak(t.text, t.voice, { pitch: t.pitch })).samples)),
  );
  const gap = Math.round(gapS * SAMPLE_RATE);
  const gapBefore = turns.map((t) => (t.gapBeforeS === undefined ? gap : Math.round(t.gapBeforeS * SAMPLE_RATE)));
  const total = utterances.reduce((n, u, i) => n + gapBefore[i] + u.length, gap);
  const samples = new Float32Array(total);
  const truth: ConversationTurn[] = [];
  let at = 0;
  utterances.forEach((u, i) => {
    at += gapBefore[i];
    samples.set(u, at);
    truth.push({ start: at / SAMPLE_RATE, end: (at + u.length) / SAMPLE_RATE, ...turns[i] });
    at += u.length;
  });
  return { wav: encodeWavSamples(samples, SAMPLE_RATE), turns: truth };
}

/**
 * Share of ground-truth speech time (`truth`, one voice per utterance) that `turns` give to the right speaker, under
 * the best one-to-one mapping of found speakers to voices (brute force: fine for a handful of each). Time no turn
 * covers counts as wrong.
 */
export function speakerTimeAccuracy(
  truth: { start: number; end: number; voice: string }[],
  turns: { start: number; end: number; speaker: string }[],
): number {
  const voices = [...new Set(truth.map((t) => t.voice))];
  const speakers = [...new Set(turns.map((t) => t.speaker))];
  const overlap = voices.map((v) =>
    speakers.map((s) => {
      let total = 0;
      for (const a of truth.filter((t) => t.voice === v))
        for (const b of turns.filter((t) => t.speaker === s))
          total += Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
      return total;
    }),
  );
  const used = new Set<number>();
  const best = (v: number): number => {
    if (v === voices.length) return 0;
    let result = best(v + 1); // this voice mapped to no speaker
    for (let s = 0; s < speakers.length; s++) {
      if (used.has(s)) continue;
      used.add(s);
      result = Math.max(result, overlap[v][s] + best(v + 1));
      used.delete(s);
    }
    return result;
  };
  const speech = truth.reduce((sum, t) => sum + t.end - t.start, 0);
  return speech > 0 ? best(0) / speech : 0;
}
