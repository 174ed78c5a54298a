/** speaker/diarize.ts: local diarization from VAD regions and speaker embeddings to speaker turns. */
import { describe, expect, it } from "vitest";
import { decodeWavSamples } from "../../../src/audio/pcm.js";
import { SileroVad } from "../../../src/audio/vad.js";
import { diarize, diarizeWithAnchors, splitChangeWindows, splitLongRegions } from "../../../src/speaker/diarize.js";
import type { SpeakerTurn, SpeechRegion } from "../../../src/model/transcript.js";
import { BaselineSpeakerEmbedder } from "../../../src/providers/speakerEmbedder/baseline.js";
import type { SpeakerEmbedder } from "../../../src/model/speaker.js";
import { type ConversationTurn, makeConversation, speakerTimeAccuracy } from "../../support/speech.js";

const LINES = [
  "Hello there, how are you doing today?",
  "I am fine, thank you very much for asking.",
  "What did you do over the weekend?",
  "We went hiking in the mountains with some friends.",
  "That sounds like a lot of fun.",
  "It was, although it rained on Sunday afternoon.",
  "Are you going again next month?",
  "Maybe, if the weather is better.",
];

/** For each true utterance, the diarized speaker overlapping it most. */
function speakerPerUtterance(truth: ConversationTurn[], turns: SpeakerTurn[]): (string | null)[] {
  return truth.map((u) => {
    let best: SpeakerTurn | null = null;
    let bestOverlap = 0;
    for (const t of turns) {
      const overlap = Math.min(u.end, t.end) - Math.max(u.start, t.start);
      if (overlap > bestOverlap) [best, bestOverlap] = [t, overlap];
    }
    return best?.speaker ?? null;
  });
}

describe("diarize with silero VAD and the baseline embedder", () => {
  it("finds exactly the two espeak speakers (en-us, en+f3) and labels every turn right", async () => {
    const conversation = await makeConversation(
      LINES.map((text, i) => ({ text, voice: i % 2 === 0 ? "en-us" : "en+f3" })),
      { gapS: 0.7 },
    );
    const { samples, sampleRate } = decodeWavSamples(conversation.wav);
    const options = { vad: await SileroVad.load(), embedder: new BaselineSpeakerEmbedder() };

    const started = performance.now();
    const turns = await diarize(samples, sampleRate, options);
    const elapsedS = (performance.now() - started) / 1000;
    const labels = speakerPerUtterance(conversation.turns, turns);
    const expected = conversation.turns.map((u) => (u.voice === "en-us" ? "SPEAKER_00" : "SPEAKER_01"));
    const correct = labels.filter((l, i) => l === expected[i]).length;
    const durationS = samples.length / sampleRate;
    console.info(
      `diarize: ${correct}/${labels.length} utterances right, ${new Set(turns.map((t) => t.speaker)).size} speakers, ` +
        `${elapsedS.toFixed(2)} s for ${durationS.toFixed(1)} s (RTF ${(elapsedS / durationS).toFixed(3)})`,
    );

    expect(new Set(turns.map((t) => t.speaker))).toEqual(new Set(["SPEAKER_00", "SPEAKER_01"]));
    expect(labels).toEqual(expected);
    expect(turns).toHaveLength(LINES.length); // speakers alternate, so no two turns merge
    turns.forEach((t, i) => i > 0 && expect(t.start).toBeGreaterThanOrEqual(turns[i - 1].end));

    const forced = await diarize(samples, sampleRate, { ...options, numSpeakers: 2 });
    expect(speakerPerUtterance(conversation.turns, forced)).toEqual(expected);
  });

  it("finds one speaker in a monologue (en-us only)", async () => {
    const conversation = await makeConversation(
      LINES.slice(0, 6).map((text) => ({ text, voice: "en-us" })),
      { gapS: 0.7 },
    );
    const { samples, sampleRate } = decodeWavSamples(conversation.wav);
    const turns = await diarize(samples, sampleRate, {
      vad: await SileroVad.load(),
      embedder: new BaselineSpeakerEmbedder(),
    });
    expect(new Set(turns.map((t) => t.speaker))).toEqual(new Set(["SPEAKER_00"]));
  });

  // Like the case (three clearly different voices, 8 turns, ~35 s): the silhouette-based count found two.
  // The four-voice one it called three.
  it.each([
    {
      voices: [
        { voice: "en-us", pitch: 50 },
        { voice: "en+f3", pitch: 50 },
        { voice: "en+m2", pitch: 20 },
      ],
      order: [0, 1, 2, 0, 2, 1, 0, 1],
      sentencesPerTurn: 2,
    },
    {
      voices: [
        { voice: "en-us", pitch: 50 },
        { voice: "en+m2", pitch: 20 },
        { voice: "en+f4", pitch: 50 },
        { voice: "en+f5", pitch: 85 },
      ],
      order: [0, 1, 2, 3, 1, 0, 3, 2, 0, 3],
      sentencesPerTurn: 1,
    },
  ])("finds $voices.length espeak voices and gives ≥ 90 % of the speech time to the right one", async (c) => {
    const lines = [...LINES, "See you on Monday then.", "Take care and say hello to everyone."];
    const text = (i: number) =>
      Array.from({ length: c.sentencesPerTurn }, (_, k) => lines[(i + 3 * k) % lines.length]).join(" ");
    const conversation = await makeConversation(
      c.order.map((v, i) => ({ ...c.voices[v], text: text(i) })),
      { gapS: 0.6 },
    );
    const { samples, sampleRate } = decodeWavSamples(conversation.wav);
    const turns = await diarize(samples, sampleRate, {
      vad: await SileroVad.load(),
      embedder: new BaselineSpeakerEmbedder(),
    });
    const truth = conversation.turns.map((t, i) => ({ ...t, voice: String(c.order[i]) }));
    const accuracy = speakerTimeAccuracy(truth, turns);
    console.info(`diarize: ${c.voices.length} voices, ${accuracy.toFixed(3)} of the speech time right`);

    expect(new Set(turns.map((t) => t.speaker)).size).toBe(c.voices.length);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it("refuses audio that is not 16 kHz", async () => {
    const options = { vad: { detect: async () => [] }, embedder: new BaselineSpeakerEmbedder() };
    await expect(diarize(new Float32Array(8000), 8000, options)).rejects.toThrow(/16000 Hz/);
  });
});

describe("diarize logic (fake VAD and embedder)", () => {
  // Speaker identity is written into the signal as its level: 0.1 = A, 0.2 = B; silence is 0.
  const SR = 16_000;
  const signal = (parts: [number, number, number][]) => {
    const samples = new Float32Array(10 * SR);
    for (const [from, to, level] of parts) samples.fill(level, from * SR, to * SR);
    return samples;
  };
  const levelEmbedder: SpeakerEmbedder = {
    modelId: "fake-level",
    dimension: 2,
    async embed(samples) {
      if (samples.length < 0.5 * SR) return null; // too short, as a real embedder would say
      const mean = samples.reduce((s, v) => s + v, 0) / samples.length;
      return mean < 0.15 ? Float32Array.from([1, 0]) : Float32Array.from([0, 1]);
    },
  };
  const fixedVad = (regions: SpeechRegion[]) => ({ detect: async () => regions });

  it("finds a speaker change in a long VAD region; unembeddable windows get their neighbour's speaker", async () => {
    const samples = signal([
      [0, 1, 0.1],
      [1.5, 4.5, 0.1],
      [4.5, 7.5, 0.2],
      [8, 9, 0.2],
      [9.1, 9.4, 0.2],
    ]);
    const turns = await diarize(samples, SR, {
      vad: fixedVad([
        { start: 0, end: 1 },
        { start: 1.5, end: 7.5 },
        { start: 8, end: 9 },
        { start: 9.1, end: 9.4 },
      ]),
      embedder: levelEmbedder,
    });
    expect(turns).toEqual([
      { start: 0, end: 4.5, speaker: "SPEAKER_00" }, // 0–1 and 1.5–4.5: same speaker, 0.5 s pause bridged
      { start: 4.5, end: 9.4, speaker: "SPEAKER_01" }, // 9.1–9.4 is too short to embed: its nearest window is B's
    ]);
  });

  it("calls a recording one speaker when its segments do not split into two clear groups", async () => {
    // Centred, identical embeddings are all zero: no structure, so no second speaker, even though no pair is similar.
    const samples = signal([
      [0, 1, 0.2],
      [3, 4, 0.2],
    ]);
    const turns = await diarize(samples, SR, {
      vad: fixedVad([
        { start: 0, end: 1 },
        { start: 3, end: 4 },
      ]),
      embedder: levelEmbedder,
    });
    expect(turns).toEqual([
      { start: 0, end: 1, speaker: "SPEAKER_00" },
      { start: 3, end: 4, speaker: "SPEAKER_00" },
    ]);
  });

  it("bridges pauses up to 1 s within one speaker's turn but not longer ones; no turns without speech", async () => {
    const parts: [number, number, number][] = [
      [0, 1, 0.1],
      [1.5, 2.5, 0.1],
      [4, 5, 0.1],
      [5.5, 6.5, 0.2],
      [7, 8, 0.2],
    ];
    const samples = signal(parts);
    const turns = await diarize(samples, SR, {
      vad: fixedVad(parts.map(([start, end]) => ({ start, end }))),
      embedder: levelEmbedder,
    });
    expect(turns).toEqual([
      { start: 0, end: 2.5, speaker: "SPEAKER_00" },
      { start: 4, end: 5, speaker: "SPEAKER_00" },
      { start: 5.5, end: 8, speaker: "SPEAKER_01" },
    ]);
    expect(await diarize(samples, SR, { vad: fixedVad([]), embedder: levelEmbedder })).toEqual([]);
  });

  it("reports the speaker each anchor seeded; ignores anchors of other dimensions and voices not present", async () => {
    const parts: [number, number, number][] = [
      [0, 1, 0.1],
      [1.5, 2.5, 0.1],
      [4, 5, 0.2],
      [5.5, 6.5, 0.2],
    ];
    const options = {
      vad: fixedVad(parts.map(([start, end]) => ({ start, end }))),
      embedder: levelEmbedder,
      anchors: [
        { label: "user", embedding: Float32Array.from([0, 1]) },
        { label: "absent", embedding: Float32Array.from([1, 1]) },
        { label: "other-model", embedding: Float32Array.from([0, 1, 0]) },
      ],
    };
    const { turns, anchoredSpeakers } = await diarizeWithAnchors(signal(parts), SR, options);
    expect(turns).toEqual([
      { start: 0, end: 2.5, speaker: "SPEAKER_00" },
      { start: 4, end: 6.5, speaker: "SPEAKER_01" },
    ]);
    expect(anchoredSpeakers).toEqual(new Map([["user", "SPEAKER_01"]]));
  });

  it("splits a small cluster of windows that straddle speaker changes between the speakers around them", () => {
    const windows = [
      { start: 0, end: 2.5, cluster: 0 },
      { start: 2.5, end: 5, cluster: 2 }, // 0 → 1 inside one VAD region
      { start: 5, end: 7.5, cluster: 1 },
      { start: 8, end: 10.5, cluster: 1 },
      { start: 10.5, end: 13, cluster: 2 }, // 1 → 0
      { start: 13, end: 15.5, cluster: 0 },
      { start: 16, end: 18.5, cluster: 3 }, // a speaker of its own after a pause
      { start: 18.5, end: 21, cluster: 1 },
    ];
    expect(splitChangeWindows(windows)).toEqual([
      { start: 0, end: 2.5, cluster: 0 },
      { start: 2.5, end: 3.75, cluster: 0 },
      { start: 3.75, end: 5, cluster: 1 },
      { start: 5, end: 7.5, cluster: 1 },
      { start: 8, end: 10.5, cluster: 1 },
      { start: 10.5, end: 11.75, cluster: 1 },
      { start: 11.75, end: 13, cluster: 0 },
      { start: 13, end: 15.5, cluster: 0 },
      { start: 16, end: 18.5, cluster: 3 },
      { start: 18.5, end: 21, cluster: 1 },
    ]);
    // A cluster an anchor seeded is a known voice: kept.
    expect(splitChangeWindows(windows, new Set([2]))).toEqual(windows);
  });

  it("splitLongRegions cuts only regions over the limit, into equal windows of half to all of it", () => {
    const windows = splitLongRegions(
      [
        { start: 0, end: 2.5 },
        { start: 3, end: 10 },
        { start: 11, end: 14.1 },
      ],
      3,
    );
    expect(windows.map((w) => [Number(w.start.toFixed(3)), Number(w.end.toFixed(3))])).toEqual([
      [0, 2.5],
      [3, 5.333],
      [5.333, 7.667],
      [7.667, 10],
      [11, 12.55],
      [12.55, 14.1],
    ]);
  });
});
