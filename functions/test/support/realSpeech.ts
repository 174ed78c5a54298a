/**
 * Real recorded speech for the benches, and conversations cut from it with ground-truth times.
 *
 * Source: Debian's `pocketsphinx-testdata` (0.8+5prealpha+1-15, architecture all), the recordings CMU Sphinx tests
 * its recogniser with. Licence (the package's debian/copyright, "Files: *"): BSD-2-clause, Copyright 1995-2014
 * Carnegie Mellon University, 2014-2015 Alpha Cephei Inc. (the excerpts of the audiobook are from LibriVox, whose
 * recordings are in the public domain). The package is downloaded once (`apt-get download`, else straight from
 * deb.debian.org's pool), checked against a pinned SHA-256, unpacked with dpkg-deb (or ar + tar) into
 * `.cache/realspeech/` at the repo root (gitignored; `$REAL_SPEECH_CACHE` overrides) and never committed. Without
 * network the fetch fails with a reason; benches report "skipped".
 *
 * Who is who (an assumption from the file names and where the recordings come from; nothing here can verify it):
 *  - reader: librivox/sense_and_sensibility_01_austen_64kb-0870/0880/0890/0920/0930, five consecutive sentences of
 *    one LibriVox chapter, so one reader (about 25 s);
 *  - jfk: test/fixtures/jfk.wav (this repo's fixture, the 1961 inaugural address), one speaker (about 11 s);
 *  - cards: cards/001..005, one CMU session of card names (about 10 s), taken as one speaker;
 *  - cmu: goforward.raw, numbers.raw, something.raw, tidigits/dhd.2934z.raw (about 12 s), other CMU test recordings.
 *    "dhd" are David Huggins-Daines' initials; whether the other three are him too is not known, so this group is
 *    only ever used as *one* speaker in conversations with reader and jfk (clearly different sources), never together
 *    with cards (possibly the same CMU people). See REAL_SPEAKERS.
 * The sources also differ in microphone and channel (LibriVox MP3, a 1961 broadcast, CMU close-talk recordings), which
 * a diarizer may pick up besides the voice: these conversations are, if anything, easier than one real room. Median F0
 * per file (speaker/features.ts pitchTrack): reader 82–108 Hz, jfk 250 Hz, cards 97–111 Hz, cmu 106–127 Hz, so three
 * low voices of about the same pitch and one high one.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runFfmpeg } from "../../src/audio/ffmpeg.js";
import { decodeWavSamples } from "../../src/audio/pcm.js";
import { between, mulberry32, shuffled } from "./random.js";

const exec = promisify(execFile);
const SAMPLE_RATE = 16_000;

const PACKAGE = "pocketsphinx-testdata";
const VERSION = "0.8+5prealpha+1-15";
const DEB_FILE = `${PACKAGE}_${VERSION}_all.deb`;
const DEB_URL = `http://deb.debian.org/debian/pool/main/p/pocketsphinx/${DEB_FILE}`;
const DEB_SHA256 = "eaeb7a01d54f20b799d1a81ef110ec544b2cb47ea006614078220737a33019f0";
/** Repo root's `.cache/realspeech/` (gitignored), or `$REAL_SPEECH_CACHE`. */
export const REAL_SPEECH_CACHE =
  process.env.REAL_SPEECH_CACHE ?? fileURLToPath(new URL("../../../.cache/realspeech/", import.meta.url));
const DATA_DIR = "usr/share/pocketsphinx/test/data";
const JFK_WAV = fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url));

export type RealSpeaker = "reader" | "jfk" | "cards" | "cmu";

/** Files per speaker: paths inside the package's test data (jfk: the repo's fixture). See the module comment. */
const SOURCES: Record<RealSpeaker, string[]> = {
  reader: [870, 880, 890, 920, 930].map((n) => `librivox/sense_and_sensibility_01_austen_64kb-0${n}.wav`),
  jfk: ["test/fixtures/jfk.wav"],
  cards: ["001", "002", "003", "004", "005"].map((n) => `cards/${n}.wav`),
  cmu: ["goforward.raw", "numbers.raw", "something.raw", "tidigits/dhd.2934z.raw"],
};

export const REAL_SPEAKERS: RealSpeaker[] = ["reader", "jfk", "cards", "cmu"];

/** Where the real speech comes from, for a bench's setup section. */
export const REAL_SPEECH_SOURCE = {
  package: `Debian ${PACKAGE} ${VERSION} (${DEB_URL}), SHA-256 ${DEB_SHA256}`,
  license: "BSD-2-clause (debian/copyright, Files: *), CMU 1995-2014, Alpha Cephei 2014-2015",
  speakers: SOURCES,
  assumption:
    "reader: one LibriVox reader (consecutive sentences of one chapter); jfk: the repo's fixture; cards: one CMU " +
    "session; cmu: other CMU test recordings, used as one speaker and never with cards (possibly the same people)",
};

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** The .deb in the cache, fetched when missing: `apt-get download` first, else the pool URL. Checked by SHA-256. */
async function debFile(): Promise<string> {
  const path = join(REAL_SPEECH_CACHE, DEB_FILE);
  if ((await exists(path)) && sha256(await readFile(path)) === DEB_SHA256) return path;
  const problems: string[] = [];
  try {
    await exec("apt-get", ["download", `${PACKAGE}=${VERSION}`], { cwd: REAL_SPEECH_CACHE, timeout: 120_000 });
  } catch (e) {
    problems.push(`apt-get download: ${(e as Error).message.split("\n")[0]}`);
  }
  if (!(await exists(path))) {
    try {
      const response = await fetch(DEB_URL, { signal: AbortSignal.timeout(120_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      await writeFile(`${path}.part`, Buffer.from(await response.arrayBuffer()));
      await rename(`${path}.part`, path);
    } catch (e) {
      problems.push(`${DEB_URL}: ${(e as Error).message}`);
    }
  }
  if (!(await exists(path))) throw new Error(`could not fetch ${DEB_FILE} (${problems.join("; ")})`);
  const digest = sha256(await readFile(path));
  if (digest !== DEB_SHA256) {
    await rm(path, { force: true });
    throw new Error(`${DEB_FILE}: SHA-256 ${digest}, expected ${DEB_SHA256}`);
  }
  return path;
}

/** Unpacks the .deb once (dpkg-deb, else ar + tar); returns the test data folder. */
async function extracted(): Promise<string> {
  const root = join(REAL_SPEECH_CACHE, "extracted");
  const done = join(root, ".complete");
  if (await exists(done)) return join(root, DATA_DIR);
  await mkdir(REAL_SPEECH_CACHE, { recursive: true });
  const deb = await debFile();
  const partial = `${root}.part`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    await exec("dpkg-deb", ["-x", deb, partial]);
  } catch {
    await exec("ar", ["x", deb], { cwd: partial });
    const data = (await exec("sh", ["-c", "ls data.tar.*"], { cwd: partial })).stdout.trim();
    await exec("tar", ["-xf", data], { cwd: partial });
  }
  await rm(root, { recursive: true, force: true });
  await rename(partial, root);
  await writeFile(done, `${DEB_FILE} ${DEB_SHA256}\n`);
  return join(root, DATA_DIR);
}

/** A source file as 16 kHz mono samples (ffmpeg; the .raw files are headerless 16 kHz 16-bit mono). */
async function decode(path: string): Promise<Float32Array> {
  const out = join(REAL_SPEECH_CACHE, "wav16k", `${path.replace(/[^A-Za-z0-9.]+/g, "_")}.wav`);
  if (!(await exists(out))) {
    await mkdir(join(REAL_SPEECH_CACHE, "wav16k"), { recursive: true });
    const input = path.endsWith(".raw") ? ["-f", "s16le", "-ar", "16000", "-ac", "1", "-i", path] : ["-i", path];
    await runFfmpeg([...input, "-ac", "1", "-ar", String(SAMPLE_RATE), "-c:a", "pcm_s16le", "-y", `${out}.part.wav`]);
    await rename(`${out}.part.wav`, out);
  }
  return decodeWavSamples(await readFile(out)).samples;
}

export interface RealRecording {
  speaker: RealSpeaker;
  file: string;
  samples: Float32Array;
}

export type RealSpeech = { recordings: RealRecording[] } | { skipped: string };

/** Every source recording, resampled to 16 kHz mono; `{ skipped }` when the package cannot be fetched. */
export async function loadRealSpeech(): Promise<RealSpeech> {
  let dataDir: string;
  try {
    dataDir = await extracted();
  } catch (e) {
    return { skipped: `no network or no package: ${(e as Error).message}` };
  }
  const recordings: RealRecording[] = [];
  for (const speaker of REAL_SPEAKERS) {
    for (const file of SOURCES[speaker]) {
      const path = speaker === "jfk" ? JFK_WAV : join(dataDir, file);
      recordings.push({ speaker, file, samples: await decode(path) });
    }
  }
  return { recordings };
}

// ---- phrases ----

/**
 * Frames of 20 ms; a frame is speech when its level is within SPEECH_DB of the recording's loud frames (95th
 * percentile) and at least NOISE_MARGIN_DB above its noise floor (10th percentile; the JFK clip's crowd is only 30 dB
 * below the voice).
 */
const FRAME_S = 0.02;
const SPEECH_DB = 30;
const NOISE_MARGIN_DB = 10;
/** Pauses shorter than this stay inside a phrase; phrases shorter than MIN_PHRASE_S are dropped (clicks, breaths). */
const PHRASE_PAUSE_S = 0.25;
const MIN_PHRASE_S = 0.3;
/** Every recording is scaled so its loud frames sit at this RMS (about −20 dBFS). */
const TARGET_LOUD_RMS = 0.1;

/** A stretch of one recording between pauses, trimmed to the speech and level-normalised. */
export interface Phrase {
  speaker: RealSpeaker;
  file: string;
  samples: Float32Array;
}

/**
 * Each recording cut at its pauses into phrases (energy-based, see the constants), trimmed to the speech and scaled to
 * a common loudness.
 */
export function phrases(recordings: RealRecording[]): Phrase[] {
  return recordings.flatMap(({ speaker, file, samples }) => {
    const hop = Math.round(FRAME_S * SAMPLE_RATE);
    const rms: number[] = [];
    for (let at = 0; at + hop <= samples.length; at += hop) {
      let sum = 0;
      for (let i = at; i < at + hop; i++) sum += samples[i] * samples[i];
      rms.push(Math.sqrt(sum / hop));
    }
    const loud = [...rms].sort((a, b) => a - b)[Math.floor(0.95 * (rms.length - 1))] ?? 0;
    if (loud === 0) return [];
    const noise = [...rms].sort((a, b) => a - b)[Math.floor(0.1 * (rms.length - 1))] ?? 0;
    const floor = Math.max(loud * 10 ** (-SPEECH_DB / 20), noise * 10 ** (NOISE_MARGIN_DB / 20));
    const runs: [number, number][] = [];
    rms.forEach((r, f) => {
      if (r < floor) return;
      const last = runs.at(-1);
      if (last && (f - last[1]) * FRAME_S <= PHRASE_PAUSE_S) last[1] = f + 1;
      else runs.push([f, f + 1]);
    });
    const gain = TARGET_LOUD_RMS / loud;
    return runs
      .filter(([a, b]) => (b - a) * FRAME_S >= MIN_PHRASE_S)
      .map(([a, b]) => ({ speaker, file, samples: samples.slice(a * hop, b * hop).map((v) => v * gain) }));
  });
}

// ---- conversations ----

export interface RealConversationOptions {
  /** A turn is one phrase or several of a speaker's phrases, added until it is at least `min` long (at most `max`). */
  turnSeconds: { min: number; max: number };
  pauseSeconds: { min: number; max: number };
  /**
   * Turns per speaker, drawn per conversation (a speaker with more turns keeps a random subset of them). A speaker
   * never has more turns than the others together plus one, so no one speaks twice in a row.
   */
  turnsPerSpeaker: { min: number; max: number };
}

export interface RealConversation {
  samples: Float32Array;
  /** Ground truth: one entry per phrase (speech only; the breaths between a turn's phrases are not counted). */
  truth: { start: number; end: number; voice: string }[];
  turns: { speaker: RealSpeaker; start: number; end: number; files: string[] }[];
}

/** Faint white noise under the whole conversation (about −66 dBFS), so the pauses are not digital silence. */
const NOISE_RMS = 5e-4;
/** Between two phrases of one turn: a breath of 0.15–0.35 s. */
const BREATH_SECONDS = { min: 0.15, max: 0.35 };

/**
 * A seeded conversation of real speakers, every phrase at most once: each speaker's phrases, shuffled, grouped into
 * turns, some of the turns kept (see RealConversationOptions), the turns interleaved at random so that no speaker
 * speaks twice in a row, with pauses between turns drawn from `pauseSeconds`. Null when a speaker has too little
 * speech for its turns. Conversations of the same speakers draw on the same few recordings: the seed changes which
 * phrases, their grouping, order and pauses, not the recordings.
 */
export function realConversation(
  allPhrases: Phrase[],
  speakers: RealSpeaker[],
  seed: number,
  options: RealConversationOptions,
): RealConversation | null {
  const rand = mulberry32(seed);
  const turnsOf = new Map<RealSpeaker, Phrase[][]>();
  for (const speaker of speakers) {
    const groups: Phrase[][] = [];
    let seconds = 0;
    for (const phrase of shuffled(
      allPhrases.filter((p) => p.speaker === speaker),
      rand,
    )) {
      const length = phrase.samples.length / SAMPLE_RATE;
      const last = groups.at(-1);
      if (last && seconds < options.turnSeconds.min && seconds + length <= options.turnSeconds.max) {
        last.push(phrase);
        seconds += length;
      } else {
        groups.push([phrase]);
        seconds = length;
      }
    }
    // A last turn shorter than the minimum joins the one before when it fits.
    const [before, last] = [groups.at(-2), groups.at(-1)];
    const secondsOf = (g: Phrase[]) => g.reduce((s, p) => s + p.samples.length, 0) / SAMPLE_RATE;
    if (before && last && secondsOf(last) < options.turnSeconds.min)
      if (secondsOf(before) + secondsOf(last) <= options.turnSeconds.max) before.push(...groups.pop()!);
    const wanted =
      options.turnsPerSpeaker.min +
      Math.floor(rand() * (options.turnsPerSpeaker.max - options.turnsPerSpeaker.min + 1));
    turnsOf.set(speaker, shuffled(groups, rand).slice(0, wanted));
  }
  for (const speaker of speakers) {
    const others = speakers.filter((s) => s !== speaker).reduce((n, s) => n + turnsOf.get(s)!.length, 0);
    if (speakers.length > 1) turnsOf.set(speaker, turnsOf.get(speaker)!.slice(0, others + 1));
    if (speakers.length > 1 && turnsOf.get(speaker)!.length < Math.min(2, options.turnsPerSpeaker.min)) return null;
  }
  const order = interleave(
    speakers.map((s) => turnsOf.get(s)!.length),
    rand,
  );
  if (!order) return null;
  const next = new Map(speakers.map((s) => [s, 0]));
  const pieces = order.map((i) => {
    const speaker = speakers[i];
    const k = next.get(speaker)!;
    next.set(speaker, k + 1);
    const phrases = turnsOf.get(speaker)![k];
    return {
      speaker,
      phrases,
      pauseBefore: between(options.pauseSeconds, rand),
      breaths: phrases.map((_, j) => (j === 0 ? 0 : between(BREATH_SECONDS, rand))),
    };
  });
  const total =
    pieces.reduce(
      (s, p) =>
        s +
        p.pauseBefore +
        p.breaths.reduce((a, b) => a + b, 0) +
        p.phrases.reduce((a, b) => a + b.samples.length, 0) / SAMPLE_RATE,
      0,
    ) + options.pauseSeconds.min;
  const samples = new Float32Array(Math.ceil(total * SAMPLE_RATE) + 1);
  const noise = mulberry32(seed ^ 0x5eed);
  for (let i = 0; i < samples.length; i++) samples[i] = NOISE_RMS * Math.sqrt(3) * (2 * noise() - 1);
  const truth: RealConversation["truth"] = [];
  const turns: RealConversation["turns"] = [];
  let at = 0;
  for (const p of pieces) {
    at += Math.round(p.pauseBefore * SAMPLE_RATE);
    const turnStart = at;
    p.phrases.forEach((phrase, j) => {
      at += Math.round(p.breaths[j] * SAMPLE_RATE);
      for (let i = 0; i < phrase.samples.length; i++) samples[at + i] += phrase.samples[i];
      truth.push({ start: at / SAMPLE_RATE, end: (at + phrase.samples.length) / SAMPLE_RATE, voice: p.speaker });
      at += phrase.samples.length;
    });
    turns.push({
      speaker: p.speaker,
      start: turnStart / SAMPLE_RATE,
      end: at / SAMPLE_RATE,
      files: [...new Set(p.phrases.map((x) => x.file))],
    });
  }
  if (at > samples.length) throw new Error("realConversation: buffer too short"); // a bug, never the data
  return { samples, truth, turns };
}

/**
 * A random order of `counts[i]` turns of speaker i with no speaker twice in a row (each step draws among the allowed
 * speakers weighted by their remaining turns; redrawn when it gets stuck). Null when no such order exists.
 */
function interleave(counts: number[], rand: () => number): number[] | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (counts.length > 1 && Math.max(...counts) > total - Math.max(...counts) + 1) return null;
  for (;;) {
    const left = [...counts];
    const order: number[] = [];
    while (order.length < total) {
      const allowed = left.flatMap((n, i) => (n > 0 && (counts.length === 1 || i !== order.at(-1)) ? [i] : []));
      if (allowed.length === 0) break;
      // Weighted by remaining turns; a draw that strands one speaker's turns at the end is redrawn.
      const weight = allowed.reduce((s, i) => s + left[i], 0);
      let r = rand() * weight;
      const pick = allowed.find((i) => (r -= left[i]) < 0) ?? allowed.at(-1)!;
      order.push(pick);
      left[pick]--;
    }
    if (order.length === total) return order;
  }
}
