/**
 * `npm run bench` (diarization part): offline diarization (Silero VAD + baseline embedder + speaker/cluster.ts) on
 * generated conversations of espeak-ng voices.
 *  - distinct: 1–6 voices of different pitch and formant variant, 8 conversations per count, turns of 1–15 s;
 *  - short: the same voices in conversations of 8 turns of 2–5 s (about 30 s, like the 33-s three-voice case),
 *    where each voice has only a few windows;
 *  - hard: two voices share a pitch setting (e.g. en-us vs en-us+m3), alone or with a third, distinct voice;
 *  - hardWithProfiles: the hard set again with every voice enrolled, the profiles passed as anchors;
 *  - heldOut: 1–4 espeak voices, seeds and sentences that no constant in speaker/cluster.ts was tuned on
 *    (heldOutVoices.ts), otherwise like distinct;
 *  - real: conversations cut from real recordings (test/support/realSpeech.ts: a LibriVox reader, the JFK fixture and
 *    CMU test recordings from Debian's pocketsphinx-testdata), in three groups: `thresholdInvestigation` (the set
 *    cluster.ts's thresholds were examined on, issue 17), `heldOutSeeds` (the same speakers, other seeds) and
 *    `heldOutSpeaker` (a speaker that set never had). Skipped, with the reason, when the package cannot be fetched.
 * distinct, short and hard are the espeak sets the constants were tuned on; `sideBySide` puts the figures per speaker
 * count next to each other. Per voice count: the share of conversations whose speaker count is exact, and the share of
 * speech time given to the right speaker under the best one-to-one mapping of found speakers to voices. Everything is
 * seeded, so runs are reproducible. Prints JSON and writes bench-results/diarization.json (with the commit, see
 * test/support/benchFigures.ts). Figures only; nothing here asserts.
 *
 * Issue 17 (the offline diarizer heard one speaker in real voices): cluster.ts's thresholds (MIN_SEPARATION_EFFECT,
 * MIN_SEPARATION_F) were examined on the thresholdInvestigation set and left as they are: settings that found more
 * real speakers broke the distinct goal or split espeak monologues, and two real voices of similar pitch (reader and
 * cards) are no further apart in the baseline embedding than chance splits of one reader's windows.
 */
import { it } from "vitest";
import { decodeWavSamples } from "../src/audio/pcm.js";
import { SileroVad } from "../src/audio/vad.js";
import type { SpeakerTurn } from "../src/model/transcript.js";
import { BaselineSpeakerEmbedder } from "../src/providers/speakerEmbedder/baseline.js";
import { diarizeWithAnchors, type DiarizeAnchor } from "../src/speaker/diarize.js";
import { meanEmbedding } from "../src/speaker/matching.js";
import { writeBenchFigure } from "../test/support/benchFigures.js";
import { mulberry32, shuffled } from "../test/support/random.js";
import {
  loadRealSpeech,
  phrases,
  REAL_SPEECH_SOURCE,
  realConversation,
  type RealConversationOptions,
  type RealSpeaker,
} from "../test/support/realSpeech.js";
import { speak, speakerTimeAccuracy } from "../test/support/speech.js";
import {
  conversation,
  DISTINCT_SHAPE,
  GAP_SECONDS,
  SHORT_SHAPE,
  SHORT_TURN_SECONDS,
  TURN_SECONDS,
  type Shape,
  type Truth,
} from "./espeakConversations.js";
import { HELD_OUT_SENTENCES, HELD_OUT_VOICES } from "./heldOutVoices.js";
import { DISTINCT_VOICES, SAME_PITCH_VOICES, voiceName, type Voice } from "./voices.js";

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
/** Held-out espeak conversations: the goal's counts, the distinct shape, their own voices, sentences and seeds. */
const HELD_OUT_COUNTS = GOAL_COUNTS;

/**
 * Real-speech conversations (see test/support/realSpeech.ts for who is who). Every speaker alone, every pair and the
 * three together; the held-out speaker `cmu` replaces `cards` (they are never in one conversation).
 */
const REAL_SETS: RealSpeaker[][] = [
  ["reader"],
  ["jfk"],
  ["cards"],
  ["reader", "jfk"],
  ["reader", "cards"],
  ["jfk", "cards"],
  ["reader", "jfk", "cards"],
];
const REAL_HELD_OUT_SPEAKER_SETS: RealSpeaker[][] = [
  ["cmu"],
  ["reader", "cmu"],
  ["jfk", "cmu"],
  ["reader", "jfk", "cmu"],
];
const REAL_CONVERSATIONS_PER_SET = 6;
/** Seeds: seed base + conversation (1…6). */
const REAL_SEEDS = { thresholdInvestigation: 0, heldOutSeeds: 1000, heldOutSpeaker: 2000 };
/** 2–3 turns per speaker of 1.2–6 s (one or more phrases each), pauses as in the espeak sets. */
const REAL_OPTIONS: RealConversationOptions = {
  turnSeconds: { min: 1.2, max: 6 },
  pauseSeconds: GAP_SECONDS,
  turnsPerSpeaker: { min: 2, max: 3 },
};

/** Enrollment for the anchored run; no conversation uses these sentences. */
const ENROLL_SENTENCES = [
  "Please remember to water the plants on the balcony while I am away.",
  "The museum opens at nine and the guided tour starts half an hour later.",
  "He fixed the old bicycle with a few spare parts from the garage.",
  "Our neighbours are planning a small street party at the end of summer.",
];

type Outcome = {
  voices: number;
  found: number;
  timeAccuracy: number;
  audioS: number;
  anchorsRight?: number;
  speakers?: string;
};

it("offline diarization: speaker count and time accuracy on generated and real conversations", async () => {
  const vad = await SileroVad.load();
  const embedder = new BaselineSpeakerEmbedder();
  const started = performance.now();
  let audioS = 0;
  let diarizeS = 0;
  /** The same offline diarization the LocalTranscriber runs (diarize.ts: Silero VAD, baseline embedder, cluster.ts). */
  const diarizeAndScore = async (
    samples: Float32Array,
    truth: Truth[],
    voices: number,
    anchors: DiarizeAnchor[] = [],
  ): Promise<Outcome> => {
    const t0 = performance.now();
    const result = await diarizeWithAnchors(samples, SR, { vad, embedder, anchors });
    diarizeS += (performance.now() - t0) / 1000;
    audioS += samples.length / SR;
    return {
      voices,
      found: new Set(result.turns.map((t) => t.speaker)).size,
      timeAccuracy: speakerTimeAccuracy(truth, result.turns),
      audioS: samples.length / SR,
      anchorsRight: anchors.filter((a) => anchorOnRightVoice(truth, result.turns, result.anchoredSpeakers, a)).length,
    };
  };
  const run = async (
    voices: Voice[],
    seed: number,
    shape: Shape,
    anchors: DiarizeAnchor[] = [],
    sentences?: string[],
  ): Promise<Outcome> => {
    const { samples, truth } = await conversation(voices, seed, shape, sentences);
    return diarizeAndScore(samples, truth, voices.length, anchors);
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

  const heldOut: Outcome[] = [];
  for (const count of HELD_OUT_COUNTS) {
    for (let c = 0; c < CONVERSATIONS_PER_COUNT; c++) {
      const seed = 70_000 + 100 * count + c;
      const voices = shuffled(HELD_OUT_VOICES, mulberry32(seed)).slice(0, count);
      heldOut.push(await run(voices, seed, DISTINCT_SHAPE, [], HELD_OUT_SENTENCES));
    }
  }

  const real = await loadRealSpeech();
  const realGroups: Record<keyof typeof REAL_SEEDS, Outcome[]> = {
    thresholdInvestigation: [],
    heldOutSeeds: [],
    heldOutSpeaker: [],
  };
  let realUnbuildable = 0;
  if (!("skipped" in real)) {
    const cut = phrases(real.recordings);
    for (const group of Object.keys(REAL_SEEDS) as (keyof typeof REAL_SEEDS)[]) {
      for (const speakers of group === "heldOutSpeaker" ? REAL_HELD_OUT_SPEAKER_SETS : REAL_SETS) {
        for (let c = 1; c <= REAL_CONVERSATIONS_PER_SET; c++) {
          const made = realConversation(cut, speakers, REAL_SEEDS[group] + c, REAL_OPTIONS);
          if (!made) {
            realUnbuildable++;
            continue;
          }
          const outcome = await diarizeAndScore(made.samples, made.truth, speakers.length);
          realGroups[group].push({ ...outcome, speakers: speakers.join("+") });
        }
      }
    }
  }

  const distinctByCount = summarizeByCount(distinct);
  const meetsGoal = (byCount: ReturnType<typeof summarizeByCount>) =>
    GOAL_COUNTS.every(
      (n) =>
        byCount[n] !== undefined &&
        byCount[n].countExactShare >= GOAL.countExactShare &&
        byCount[n].timeAccuracy >= GOAL.timeAccuracy,
    );
  const goalMet = meetsGoal(distinctByCount);
  const heldOutByCount = summarizeByCount(heldOut);
  const summarizeReal = (outcomes: Outcome[]) => ({
    byCount: summarizeByCount(outcomes),
    bySpeakers: summarizeBySpeakers(outcomes),
  });
  const realSummary = {
    thresholdInvestigation: summarizeReal(realGroups.thresholdInvestigation),
    heldOutSeeds: summarizeReal(realGroups.heldOutSeeds),
    heldOutSpeaker: summarizeReal(realGroups.heldOutSpeaker),
  };
  const pick = (byCount: ReturnType<typeof summarizeByCount>, n: number) =>
    byCount[n]
      ? { countExactShare: byCount[n].countExactShare, timeAccuracy: byCount[n].timeAccuracy }
      : "not measured";
  const realPick = (group: keyof typeof REAL_SEEDS, n: number) =>
    "skipped" in real ? "skipped" : pick(realSummary[group].byCount, n);
  const sideBySide = Object.fromEntries(
    [1, 2, 3].map((n) => [
      n,
      {
        espeakDistinctTuned: pick(distinctByCount, n),
        espeakHeldOut: pick(heldOutByCount, n),
        realThresholdInvestigation: realPick("thresholdInvestigation", n),
        realHeldOutSeeds: realPick("heldOutSeeds", n),
        realHeldOutSpeaker: realPick("heldOutSpeaker", n),
      },
    ]),
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
    heldOut: {
      what:
        "held-out espeak voices, sentences and seeds (bench/heldOutVoices.ts; seeds 70000 + 100 × voices + " +
        "conversation) no constant in speaker/cluster.ts was tuned on; otherwise like distinct",
      voices: HELD_OUT_VOICES.map(voiceName),
      meetsDistinctGoal: meetsGoal(heldOutByCount),
      ...heldOutByCount,
    },
    real:
      "skipped" in real
        ? { skipped: real.skipped }
        : {
            what:
              "conversations cut from real recordings (test/support/realSpeech.ts): each speaker's phrases (cut at " +
              "pauses by energy, levels matched) in 2–3 turns of 1.2–6 s, pauses 0.3–1.2 s, faint noise under " +
              "all; ground truth = the phrases' times (speech only). thresholdInvestigation: the set cluster.ts's " +
              "thresholds were examined on (issue 17); heldOutSeeds: the same speakers, other seeds (other phrase " +
              "choices and orders of the same few recordings); heldOutSpeaker: cmu, a speaker the first set never had",
            source: REAL_SPEECH_SOURCE,
            setup: {
              speakerSets: REAL_SETS.map((s) => s.join("+")),
              heldOutSpeakerSets: REAL_HELD_OUT_SPEAKER_SETS.map((s) => s.join("+")),
              conversationsPerSet: REAL_CONVERSATIONS_PER_SET,
              ...REAL_OPTIONS,
              seeds: "0 / 1000 / 2000 + conversation (1–6) for thresholdInvestigation / heldOutSeeds / heldOutSpeaker",
              conversationsNotBuildable: realUnbuildable,
            },
            ...realSummary,
          },
    sideBySide: {
      what:
        "per speaker count: countExactShare and timeAccuracy of the espeak distinct set (tuned on), the held-out " +
        "espeak set and the three real-speech groups",
      ...sideBySide,
    },
    audioSeconds: round(audioS, 1),
    diarizationRealTimeFactor: round(diarizeS / audioS, 4),
    benchSeconds: round((performance.now() - started) / 1000, 1),
  };
  console.log(JSON.stringify(results, null, 2));
  await writeBenchFigure("diarization.json", results, true);
}, 1_800_000);

// ---- enrollment ----

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

/** Real-speech outcomes per speaker set (e.g. "reader+cards"). */
function summarizeBySpeakers(outcomes: Outcome[]) {
  return Object.fromEntries(
    [...new Set(outcomes.map((o) => o.speakers ?? "?"))].map((set) => {
      const mine = outcomes.filter((o) => o.speakers === set);
      return [
        set,
        {
          conversations: mine.length,
          countExactShare: round(mine.filter((o) => o.found === o.voices).length / mine.length, 3),
          timeAccuracy: round(mine.reduce((s, o) => s + o.timeAccuracy, 0) / mine.length, 3),
          speakersFound: mine.map((o) => o.found),
          secondsPerConversation: mine.map((o) => round(o.audioS, 1)),
        },
      ];
    }),
  );
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
