/**
 * `npm run bench` (diarization part): offline diarization (Silero VAD + baseline embedder + speaker/cluster.ts) on
 * generated conversations of espeak-ng voices.
 *  - distinct: 1–6 voices of different pitch and formant variant, 8 conversations per count, turns of 1–15 s;
 *  - short: the same voices in conversations of 8 turns of 2–5 s (about 30 s, like the 33-s three-voice case),
 *    where each voice has only a few windows;
 *  - hard: two voices share a pitch setting (e.g. en-us vs en-us+m3), alone or with a third, distinct voice;
 *  - hardWithProfiles: the hard set again with every voice enrolled, the profiles passed as anchors.
 * Per voice count: the share of conversations whose speaker count is exact, and the share of speech time given to the
 * right speaker under the best one-to-one mapping of found speakers to voices. Everything is seeded, so runs are
 * reproducible. Prints JSON and writes bench-results/diarization.json. Figures only; nothing here asserts.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { it } from "vitest";
import { decodeWavSamples } from "../src/audio/pcm.js";
import { SileroVad } from "../src/audio/vad.js";
import type { SpeakerTurn } from "../src/model/transcript.js";
import { BaselineSpeakerEmbedder } from "../src/providers/speakerEmbedder/baseline.js";
import { diarizeWithAnchors, type DiarizeAnchor } from "../src/speaker/diarize.js";
import { meanEmbedding } from "../src/speaker/matching.js";
import { mulberry32 } from "../test/support/random.js";
import { makeConversation, speak, speakerTimeAccuracy } from "../test/support/speech.js";
import { CONVERSATION_SENTENCES, DISTINCT_VOICES, SAME_PITCH_VOICES, voiceName, type Voice } from "./voices.js";

const SR = 16_000;

const DISTINCT_COUNTS = [1, 2, 3, 4, 5, 6];
/** Six of the distinct voices, one per voice count up to six. */
const DIARIZATION_VOICES = DISTINCT_VOICES.slice(0, Math.max(...DISTINCT_COUNTS));
/** Pairs of voices that share a pitch setting. */
const SAME_PITCH_PAIRS: Voice[][] = [0, 2, 4].map((i) => SAME_PITCH_VOICES.slice(i, i + 2));
const HARD_SETS: Voice[][] = [
  ...SAME_PITCH_PAIRS,
  ...SAME_PITCH_PAIRS,
  ...SAME_PITCH_PAIRS.map((pair, i) => [...pair, DIARIZATION_VOICES[[5, 5, 0][i]]]),
];
/** The goal applies to these counts. */
const GOAL_COUNTS = [1, 2, 3, 4];
const GOAL = { countExactShare: 0.9, timeAccuracy: 0.9 };
const CONVERSATIONS_PER_COUNT = 8;
const SHORT_COUNTS = [1, 2, 3, 4];
/** Turns per conversation for `voices` voices, and their length. */
const DISTINCT_TURNS = (voices: number) => (voices === 1 ? 5 : 4 + 2 * voices);
const TURN_SECONDS = { min: 1, max: 15 };
const SHORT_TURNS = () => 8;
const SHORT_TURN_SECONDS = { min: 2, max: 5 };
const GAP_SECONDS = { min: 0.3, max: 1.2 };
/** Every voice speaks at least this often, so each has some speech to be found by. */
const MIN_TURNS_PER_VOICE = 2;
const WORDS_PER_SECOND = 175 / 60; // espeak's default rate

/** Enrollment for the anchored run; no conversation uses these sentences. */
const ENROLL_SENTENCES = [
  "Please remember to water the plants on the balcony while I am away.",
  "The museum opens at nine and the guided tour starts half an hour later.",
  "He fixed the old bicycle with a few spare parts from the garage.",
  "Our neighbours are planning a small street party at the end of summer.",
];

type Truth = { start: number; end: number; voice: string };
type Outcome = { voices: number; found: number; timeAccuracy: number; audioS: number; anchorsRight?: number };

it("offline diarization: speaker count and time accuracy on generated conversations", async () => {
  const vad = await SileroVad.load();
  const embedder = new BaselineSpeakerEmbedder();
  const started = performance.now();
  let audioS = 0;
  let diarizeS = 0;
  const run = async (voices: Voice[], seed: number, shape: Shape, anchors: DiarizeAnchor[] = []): Promise<Outcome> => {
    const { samples, truth } = await conversation(voices, seed, shape);
    const t0 = performance.now();
    const result = await diarizeWithAnchors(samples, SR, { vad, embedder, anchors });
    diarizeS += (performance.now() - t0) / 1000;
    audioS += samples.length / SR;
    return {
      voices: voices.length,
      found: new Set(result.turns.map((t) => t.speaker)).size,
      timeAccuracy: speakerTimeAccuracy(truth, result.turns),
      audioS: samples.length / SR,
      anchorsRight: anchors.filter((a) => anchorOnRightVoice(truth, result.turns, result.anchoredSpeakers, a)).length,
    };
  };

  const distinct: Outcome[] = [];
  for (const count of DISTINCT_COUNTS) {
    for (let c = 0; c < CONVERSATIONS_PER_COUNT; c++) {
      const seed = 50_000 + 100 * count + c;
      distinct.push(await run(shuffled(DIARIZATION_VOICES, mulberry32(seed)).slice(0, count), seed, DISTINCT_SHAPE));
    }
  }
  const short: Outcome[] = [];
  for (const count of SHORT_COUNTS) {
    for (let c = 0; c < CONVERSATIONS_PER_COUNT; c++) {
      const seed = 60_000 + 100 * count + c;
      short.push(await run(shuffled(DIARIZATION_VOICES, mulberry32(seed)).slice(0, count), seed, SHORT_SHAPE));
    }
  }
  const hard: Outcome[] = [];
  const hardAnchored: Outcome[] = [];
  for (const [i, voices] of HARD_SETS.entries()) {
    hard.push(await run(voices, 90_000 + i, DISTINCT_SHAPE));
    const profiles = [];
    for (const v of voices) profiles.push({ label: voiceName(v), embedding: await enroll(embedder, v) });
    hardAnchored.push(await run(voices, 90_000 + i, DISTINCT_SHAPE, profiles));
  }

  const distinctByCount = summarizeByCount(distinct);
  const goalMet = GOAL_COUNTS.every(
    (n) =>
      distinctByCount[n].countExactShare >= GOAL.countExactShare &&
      distinctByCount[n].timeAccuracy >= GOAL.timeAccuracy,
  );
  const results = {
    benchmark: "diarization",
    embedder: embedder.modelId,
    goal:
      `distinct voices, ${GOAL_COUNTS.join("/")} speakers: countExactShare ≥ ${GOAL.countExactShare} and ` +
      `timeAccuracy ≥ ${GOAL.timeAccuracy} for every count`,
    goalMet,
    definitions: {
      countExactShare: "share of conversations whose number of found speakers equals the number of voices",
      timeAccuracy:
        "speech time (ground-truth utterances) given to the right speaker under the best one-to-one mapping of " +
        "found speakers to voices, averaged over conversations; time no turn covers counts as wrong",
      speakersFound: "found speaker count per conversation",
    },
    setup: {
      distinctVoices: DIARIZATION_VOICES.map(voiceName),
      samePitchPairs: SAME_PITCH_PAIRS.map((p) => p.map(voiceName)),
      conversationsPerCount: CONVERSATIONS_PER_COUNT,
      turns: "4 + 2 per voice (5 for one voice), every voice at least twice, never the same voice twice in a row",
      turnSeconds: TURN_SECONDS,
      shortTurns: "8, every voice at least twice, never the same voice twice in a row",
      shortTurnSeconds: SHORT_TURN_SECONDS,
      pauseSeconds: GAP_SECONDS,
      seeds: "50000 / 60000 + 100 × voices + conversation (distinct / short), 90000 + set (hard)",
    },
    distinct: distinctByCount,
    short: summarizeByCount(short),
    hard: summarizeByCount(hard),
    hardWithProfiles: {
      what: "the hard set with every voice enrolled from 4 other sentences, the profiles passed as anchors",
      ...summarizeByCount(hardAnchored),
      anchorOnRightVoiceShare: round(
        hardAnchored.reduce((s, o) => s + (o.anchorsRight ?? 0), 0) / hardAnchored.reduce((s, o) => s + o.voices, 0),
        3,
      ),
    },
    audioSeconds: round(audioS, 1),
    diarizationRealTimeFactor: round(diarizeS / audioS, 4),
    benchSeconds: round((performance.now() - started) / 1000, 1),
  };
  console.log(JSON.stringify(results, null, 2));
  await mkdir(new URL("../../bench-results/", import.meta.url), { recursive: true });
  await writeFile(
    new URL("../../bench-results/diarization.json", import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );
}, 900_000);

// ---- conversations ----

type Shape = { turns: (voices: number) => number; turnSeconds: { min: number; max: number } };
const DISTINCT_SHAPE: Shape = { turns: DISTINCT_TURNS, turnSeconds: TURN_SECONDS };
const SHORT_SHAPE: Shape = { turns: SHORT_TURNS, turnSeconds: SHORT_TURN_SECONDS };

/** A seeded conversation of `voices` with exact ground-truth times per utterance. */
async function conversation(
  voices: Voice[],
  seed: number,
  shape: Shape,
): Promise<{ samples: Float32Array; truth: Truth[] }> {
  const rand = mulberry32(seed);
  const order = turnOrder(voices.length, shape.turns(voices.length), rand);
  const turns = order.map((v) => ({
    ...voices[v],
    text: textOfSeconds(between(shape.turnSeconds, rand), rand),
    gapBeforeS: between(GAP_SECONDS, rand),
  }));
  const { wav, turns: spoken } = await makeConversation(turns, { gapS: GAP_SECONDS.min });
  return {
    samples: decodeWavSamples(wav).samples,
    truth: spoken.map((t, i) => ({ start: t.start, end: t.end, voice: voiceName(voices[order[i]]) })),
  };
}

/** Who speaks each turn: everyone once first (shuffled), then at random, never twice in a row; redrawn until valid. */
function turnOrder(voices: number, length: number, rand: () => number): number[] {
  for (;;) {
    const order = shuffled(
      Array.from({ length: voices }, (_, i) => i),
      rand,
    );
    while (order.length < length) {
      const next = Math.floor(rand() * voices);
      if (voices === 1 || next !== order.at(-1)) order.push(next);
    }
    const counts = order.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<number, number>());
    if ([...counts.values()].every((n) => n >= MIN_TURNS_PER_VOICE)) return order;
  }
}

/** About `seconds` of speech at espeak's default rate: consecutive sentences from a random one, cut to length. */
function textOfSeconds(seconds: number, rand: () => number): string {
  const words: string[] = [];
  const wanted = Math.max(2, Math.round(seconds * WORDS_PER_SECOND));
  for (let s = Math.floor(rand() * CONVERSATION_SENTENCES.length); words.length < wanted; s++)
    words.push(...CONVERSATION_SENTENCES[s % CONVERSATION_SENTENCES.length].split(" "));
  return `${words
    .slice(0, wanted)
    .join(" ")
    .replace(/[,.?]$/, "")}.`;
}

/** A voice's profile as enrollment makes it: the mean of its unit-length embeddings over a few sentences. */
async function enroll(embedder: BaselineSpeakerEmbedder, voice: Voice): Promise<Float32Array> {
  const embeddings: Float32Array[] = [];
  for (const text of ENROLL_SENTENCES) {
    const e = await embedder.embed(decodeWavSamples(await speak(text, voice.voice, { pitch: voice.pitch })).samples);
    if (e) embeddings.push(e);
  }
  return meanEmbedding(embeddings)!;
}

// ---- scoring ----

/** Whether the speaker the anchor seeded is the one that speaks most of the anchored voice's time. */
function anchorOnRightVoice(
  truth: Truth[],
  turns: SpeakerTurn[],
  anchored: Map<string, string>,
  anchor: DiarizeAnchor,
): boolean {
  const speaker = anchored.get(anchor.label);
  if (!speaker) return false;
  const time = new Map<string, number>();
  for (const a of truth.filter((t) => t.voice === anchor.label))
    for (const b of turns)
      time.set(
        b.speaker,
        (time.get(b.speaker) ?? 0) + Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start)),
      );
  return [...time].sort((x, y) => y[1] - x[1])[0]?.[0] === speaker;
}

function summarizeByCount(outcomes: Outcome[]) {
  const byCount: Record<
    number,
    {
      conversations: number;
      countExactShare: number;
      timeAccuracy: number;
      minTimeAccuracy: number;
      speakersFound: number[];
      audioSeconds: number;
    }
  > = {};
  for (const n of [...new Set(outcomes.map((o) => o.voices))]) {
    const mine = outcomes.filter((o) => o.voices === n);
    byCount[n] = {
      conversations: mine.length,
      countExactShare: round(mine.filter((o) => o.found === n).length / mine.length, 3),
      timeAccuracy: round(mine.reduce((s, o) => s + o.timeAccuracy, 0) / mine.length, 3),
      minTimeAccuracy: round(Math.min(...mine.map((o) => o.timeAccuracy)), 3),
      speakersFound: mine.map((o) => o.found),
      audioSeconds: round(
        mine.reduce((s, o) => s + o.audioS, 0),
        1,
      ),
    };
  }
  return byCount;
}

// ---- seeded randomness ----

function shuffled<T>(items: T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function between(range: { min: number; max: number }, rand: () => number): number {
  return range.min + (range.max - range.min) * rand();
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
