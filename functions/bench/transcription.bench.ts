/**
 * `npm run bench` (transcription part): offline transcription real-time factor on a 4-minute generated two-voice
 * recording, and diarization accuracy (fraction of words given the right speaker under a one-to-one mapping of found
 * speakers to voices). Prints JSON and writes it to bench-results/transcription.json (with the commit, see
 * test/support/benchFigures.ts). Figures only; nothing here asserts on time.
 */
import { it } from "vitest";
import { decodeWavSamples } from "../src/audio/pcm.js";
import { planChunks } from "../src/providers/transcriber/chunkPlan.js";
import { LocalTranscriber } from "../src/providers/transcriber/local.js";
import type { Word } from "../src/model/transcript.js";
import { writeBenchFigure } from "../test/support/benchFigures.js";
import { makeConversation, type ConversationTurn } from "../test/support/speech.js";
import { CONVERSATION_SENTENCES } from "./voices.js";

const local = new LocalTranscriber();

/** The first ten conversation sentences: the pool this bench has always drawn from. */
const SENTENCES = CONVERSATION_SENTENCES.slice(0, 10);

/**
 * Words whose midpoint falls in a ground-truth turn (±0.3 s), scored under the best one-to-one mapping of found
 * speaker labels to voices: each label stands for at most one voice and each voice for at most one label, chosen to
 * get the most words right; words of a label left without a voice (more labels than voices) count as wrong, and so do
 * unlabelled words. (The majority mapping this replaced gave every label its majority voice, so a diarizer that split
 * each voice in two still scored 1.0.) Brute force over the assignments: fine for up to about 8 labels.
 */
export function speakerAccuracyOneToOne(words: Word[], turns: ConversationTurn[]) {
  const voiceAt = (t: number) => turns.find((turn) => t >= turn.start - 0.3 && t <= turn.end + 0.3)?.voice;
  const judged = words.flatMap((w) => {
    const voice = voiceAt((w.start + w.end) / 2);
    return voice ? [{ label: w.speaker ?? null, voice }] : [];
  });
  const labels = [...new Set(judged.flatMap((j) => (j.label === null ? [] : [j.label])))];
  const voices = [...new Set(judged.map((j) => j.voice))];
  const count = labels.map((l) => voices.map((v) => judged.filter((j) => j.label === l && j.voice === v).length));
  const used = new Set<number>();
  const best = (l: number): number => {
    if (l === labels.length) return 0;
    let result = best(l + 1); // this label mapped to no voice: its words are wrong
    for (let v = 0; v < voices.length; v++) {
      if (used.has(v)) continue;
      used.add(v);
      result = Math.max(result, count[l][v] + best(l + 1));
      used.delete(v);
    }
    return result;
  };
  const right = best(0);
  return {
    judgedWords: judged.length,
    accuracyOneToOne: judged.length ? right / judged.length : 0,
    speakersFound: labels.length,
  };
}

it("offline transcription: real-time factor and diarization accuracy", async () => {
  // About 4 minutes: 66 utterances of 6–13 words with 0.9 s pauses, each a different run of words (seeded). Never
  // the same sentence twice: espeak says a repeated sentence bit-identically, which no person does, and identical
  // windows would let diarization split each voice by sentence.
  const pool = SENTENCES.join(" ").split(" ");
  let seed = 7;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const turns = [];
  for (let i = 0; turns.length < 66; i++) {
    const start = Math.floor(rand() * pool.length);
    const count = 6 + Math.floor(rand() * 8);
    const text = Array.from({ length: count }, (_, k) => pool[(start + k) % pool.length]).join(" ");
    turns.push({ voice: i % 2 ? "en+f3" : "en-us", text });
  }
  const conversation = await makeConversation(turns, { gapS: 0.9 });
  const { samples, sampleRate } = decodeWavSamples(conversation.wav);
  const audioS = samples.length / sampleRate;

  const t0 = performance.now();
  const speech = await local.detectSpeech(samples);
  const t1 = performance.now();
  const boundaries = planChunks(audioS, speech, 240);
  const words: Word[] = [];
  for (let i = 0; i + 1 < boundaries.length; i++)
    words.push(...(await local.transcribeChunk(samples, sampleRate, boundaries[i], boundaries[i + 1])));
  const t2 = performance.now();
  const labelled = await local.labelSpeakers(samples, sampleRate, words);
  const t3 = performance.now();

  const results = {
    benchmark: "offline-transcription",
    audioSeconds: Number(audioS.toFixed(1)),
    chunks: boundaries.length - 1,
    words: labelled.length,
    realTimeFactor: {
      total: Number(((t3 - t0) / 1000 / audioS).toFixed(4)),
      vad: Number(((t1 - t0) / 1000 / audioS).toFixed(4)),
      speechToText: Number(((t2 - t1) / 1000 / audioS).toFixed(4)),
      diarization: Number(((t3 - t2) / 1000 / audioS).toFixed(4)),
    },
    diarization: {
      definition:
        "accuracyOneToOne: share of words (midpoint within 0.3 s of a ground-truth utterance) whose speaker label " +
        "is the voice's under the best one-to-one mapping of labels to voices; extra labels and unlabelled words " +
        "count as wrong (replaces the majority mapping, under which over-splitting scored 1.0)",
      ...speakerAccuracyOneToOne(labelled, conversation.turns),
    },
  };
  console.log(JSON.stringify(results, null, 2));
  await writeBenchFigure("transcription.json", results, true);
}, 900_000);
