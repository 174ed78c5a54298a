/** audio/vad.ts: Silero voice activity detection and turning frame probabilities into speech regions. */
import { beforeAll, describe, expect, it } from "vitest";
import { decodeWavSamples } from "../../../src/audio/pcm.js";
import { DEFAULT_VAD_OPTIONS, SileroVad, regionsFromProbabilities } from "../../../src/audio/vad.js";
import { makeConversation } from "../../support/speech.js";

const UTTERANCES = [
  { voice: "en-us", text: "Hello there, how are you doing today?" },
  { voice: "en+f3", text: "I am fine, thank you very much for asking." },
  { voice: "en-us", text: "What did you do over the weekend?" },
  { voice: "en+f3", text: "We went hiking in the mountains with some friends." },
  { voice: "en-us+m7", text: "That sounds like a lot of fun." },
  { voice: "en+f5", text: "It was, although it rained on Sunday afternoon." },
];

describe("SileroVad", () => {
  let vad: SileroVad;
  beforeAll(async () => {
    vad = await SileroVad.load();
  });

  it("finds one region per utterance of a conversation with 0.7 s pauses, each starting within 0.15 s", async () => {
    const conversation = await makeConversation(UTTERANCES, { gapS: 0.7 });
    const { samples, sampleRate } = decodeWavSamples(conversation.wav);
    expect(sampleRate).toBe(16_000);
    const started = performance.now();
    const regions = await vad.detect(samples);
    const elapsedS = (performance.now() - started) / 1000;
    const startErrors = regions.map((r, i) => Math.abs(r.start - conversation.turns[i].start));
    const endErrors = regions.map((r, i) => Math.abs(r.end - conversation.turns[i].end));
    console.info(
      `VAD: ${regions.length} regions for ${conversation.turns.length} utterances; ` +
        `max start error ${Math.max(...startErrors).toFixed(3)} s, ` +
        `max end error ${Math.max(...endErrors).toFixed(3)} s; ` +
        `${elapsedS.toFixed(3)} s for ${(samples.length / 16_000).toFixed(1)} s of audio`,
    );
    expect(regions).toHaveLength(UTTERANCES.length);
    for (const error of startErrors) expect(error).toBeLessThan(0.15);
    for (const error of endErrors) expect(error).toBeLessThan(0.3);
    regions.forEach((r, i) => i > 0 && expect(r.start).toBeGreaterThanOrEqual(regions[i - 1].end));
  });

  it("gives concurrent calls on the shared session the results of one at a time (each has its own state)", async () => {
    const [a, b] = await Promise.all([
      makeConversation(UTTERANCES.slice(0, 2), { gapS: 0.6 }),
      makeConversation(UTTERANCES.slice(2, 5), { gapS: 0.9 }),
    ]);
    const [samplesA, samplesB] = [decodeWavSamples(a.wav).samples, decodeWavSamples(b.wav).samples];
    const sequential = [await vad.detect(samplesA), await vad.detect(samplesB)];
    expect(await Promise.all([vad.detect(samplesA), vad.detect(samplesB)])).toEqual(sequential);
    expect(sequential.map((r) => r.length)).toEqual([2, 3]);
  });

  it("finds nothing in silence", async () => {
    expect(await vad.detect(new Float32Array(16_000 * 3))).toEqual([]);
  });

  it("keeps one region when the pause is shorter than minSilenceS", async () => {
    const conversation = await makeConversation(UTTERANCES.slice(0, 2), { gapS: 0.2 });
    const { samples } = decodeWavSamples(conversation.wav);
    expect(await vad.detect(samples)).toHaveLength(1);
  });
});

describe("regionsFromProbabilities", () => {
  const windowS = 0.1;
  const options = { ...DEFAULT_VAD_OPTIONS, minSpeechS: 0.25, minSilenceS: 0.3, padS: 0 };
  const regions = (p: number[]) => regionsFromProbabilities(Float32Array.from(p), windowS, p.length * windowS, options);

  it("applies hysteresis: a dip that stays above the lower threshold does not end speech", () => {
    expect(regions([0, 0.9, 0.9, 0.4, 0.4, 0.4, 0.4, 0.9, 0, 0, 0, 0])).toEqual([{ start: 0.1, end: 0.8 }]);
  });

  it("splits at pauses of at least minSilenceS, bridges shorter ones and drops short blips", () => {
    expect(
      regions([0.9, 0.9, 0.9, 0.1, 0.1, 0.9, 0.9, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.9, 0, 0, 0]),
    ).toEqual([
      { start: 0, end: 0.7 },
      { start: 1, end: 1.3 },
    ]);
  });

  it("closes a region still open at the end, and pads without making neighbours overlap", () => {
    const padded = regionsFromProbabilities(Float32Array.from([0, 0.9, 0.9, 0.9, 0, 0, 0, 0.9, 0.9, 0.9]), windowS, 1, {
      ...options,
      padS: 0.2,
    });
    expect(padded).toEqual([
      { start: 0, end: 0.55 },
      { start: 0.55, end: 1 },
    ]);
  });
});
