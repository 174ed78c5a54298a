/**
 * Seeded conversations of espeak-ng voices with exact ground-truth times per utterance (bench diarization): who speaks
 * each turn, how long, and the pauses between turns.
 */
import { decodeWavSamples } from "../src/audio/pcm.js";
import { between, mulberry32, shuffled } from "../test/support/random.js";
import { makeConversation } from "../test/support/speech.js";
import { CONVERSATION_SENTENCES, voiceName, type Voice } from "./voices.js";

export type Truth = { start: number; end: number; voice: string };
export type Shape = { turns: (voices: number) => number; turnSeconds: { min: number; max: number } };

/** Turns per conversation for `voices` voices, and their length. */
const DISTINCT_TURNS = (voices: number) => (voices === 1 ? 5 : 4 + 2 * voices);
export const TURN_SECONDS = { min: 1, max: 15 };
export const SHORT_TURN_SECONDS = { min: 2, max: 5 };
export const GAP_SECONDS = { min: 0.3, max: 1.2 };
export const DISTINCT_SHAPE: Shape = { turns: DISTINCT_TURNS, turnSeconds: TURN_SECONDS };
export const SHORT_SHAPE: Shape = { turns: () => 8, turnSeconds: SHORT_TURN_SECONDS };
/** Every voice speaks at least this often, so each has some speech to be found by. */
const MIN_TURNS_PER_VOICE = 2;
const WORDS_PER_SECOND = 175 / 60; // espeak's default rate

/** A seeded conversation of `voices` with exact ground-truth times per utterance. */
export async function conversation(
  voices: Voice[],
  seed: number,
  shape: Shape,
  sentences: string[] = CONVERSATION_SENTENCES,
): Promise<{ samples: Float32Array; truth: Truth[] }> {
  const rand = mulberry32(seed);
  const order = turnOrder(voices.length, shape.turns(voices.length), rand);
  const turns = order.map((v) => ({
    ...voices[v],
    text: textOfSeconds(between(shape.turnSeconds, rand), rand, sentences),
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
function textOfSeconds(seconds: number, rand: () => number, sentences: string[]): string {
  const words: string[] = [];
  const wanted = Math.max(2, Math.round(seconds * WORDS_PER_SECOND));
  for (let s = Math.floor(rand() * sentences.length); words.length < wanted; s++)
    words.push(...sentences[s % sentences.length].split(" "));
  return `${words
    .slice(0, wanted)
    .join(" ")
    .replace(/[,.?]$/, "")}.`;
}
