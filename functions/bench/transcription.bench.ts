/**
 * `npm run bench` (transcription part): offline transcription real-time factor on a 4-minute generated two-voice
 * recording, and diarization accuracy (fraction of words given the right speaker). Prints JSON and writes it to
 * bench-results/transcription.json. Figures only; nothing here asserts on time.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { it } from "vitest";
import { decodeWavSamples } from "../src/audio/pcm.js";
import { planChunks } from "../src/providers/transcriber/chunkPlan.js";
import { LocalTranscriber } from "../src/providers/transcriber/local.js";
import type { Word } from "../src/model/transcript.js";
import { makeConversation, type ConversationTurn } from "../test/support/speech.js";
import { CONVERSATION_SENTENCES } from "./voices.js";

const local = new LocalTranscriber();

/** The first ten conversation sentences: the pool this bench has always drawn from. */
const SENTENCES = CONVERSATION_SENTENCES.slice(0, 10);

/** Words whose midpoint falls in a ground-truth turn, scored after mapping each label to its majority voice. */
export function speakerAccuracy(words: Word[], turns: ConversationTurn[]) {
  const voiceAt = (t: number) => turns.find((turn) => t >= turn.start - 0.3 && t <= turn.end + 0.3)?.voice;
  const judged = words.flatMap((w) => {
    const voice = voiceAt((w.start + w.end) / 2);
    return voice ? [{ label: w.speaker ?? "none", voice }] : [];
  });
  const votes = new Map<string, Map<string, number>>();
  for (const { label, voice } of judged) {
    const byVoice = votes.get(label) ?? new Map<string, number>();
    byVoice.set(voice, (byVoice.get(voice) ?? 0) + 1);
    votes.set(label, byVoice);
  }
  const labelVoice = new Map(
    [...votes].map(([label, byVoice]) => [label, [...byVoice].sort((a, b) => b[1] - a[1])[0][0]]),
  );
  const right = judged.filter((j) => labelVoice.get(j.label) === j.voice).length;
  return { judgedWords: judged.length, accuracy: judged.length ? right / judged.length : 0, speakersFound: votes.size };
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
    diarization: speakerAccuracy(labelled, conversation.turns),
  };
  console.log(JSON.stringify(results, null, 2));
  await mkdir(new URL("../../bench-results/", import.meta.url), { recursive: true });
  await writeFile(
    new URL("../../bench-results/transcription.json", import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );
}, 900_000);
