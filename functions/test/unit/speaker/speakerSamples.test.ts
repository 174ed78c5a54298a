/** speaker/speakerSamples.ts: which stretches of each speaker are embedded. */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { encodeWavSamples } from "../../../src/audio/pcm.js";
import {
  chooseSpeakerSamples,
  embedSpeakerVoice,
  MAX_SPEECH_PER_SPEAKER_S,
  TEACH_MIN_SPEECH_SECONDS,
} from "../../../src/speaker/speakerSamples.js";
import { segmentOf } from "../../support/transcripts.js";

describe("chooseSpeakerSamples", () => {
  it("takes every segment of at least 0.5 s while a speaker has little speech", () => {
    const segments = [
      { ...segmentOf("a", 0, { speaker: "SPEAKER_00" }), end: 3 },
      { ...segmentOf("b", 3, { speaker: "SPEAKER_01" }), end: 3.3 }, // too short
      { ...segmentOf("c", 4, { speaker: "SPEAKER_01" }), end: 9 },
    ];
    expect(chooseSpeakerSamples(segments)).toEqual([
      { key: "SPEAKER_00", start: 0, end: 3 },
      { key: "SPEAKER_01", start: 4, end: 9 },
    ]);
  });

  it("bounds a long recording's speakers to a budget spread over the whole recording", () => {
    // Three hours of one speaker in 5 s segments.
    const segments = Array.from({ length: 2160 }, (_, i) => ({
      ...segmentOf("x", i * 5, { speaker: "SPEAKER_00" }),
      end: i * 5 + 5,
    }));
    const ranges = chooseSpeakerSamples(segments);
    const total = ranges.reduce((n, r) => n + (r.end - r.start), 0);
    expect(total).toBeLessThanOrEqual(MAX_SPEECH_PER_SPEAKER_S);
    expect(total).toBeGreaterThan(MAX_SPEECH_PER_SPEAKER_S - 5);
    expect(ranges[0].start).toBe(0);
    expect(ranges.at(-1)!.start).toBeGreaterThan(0.9 * 3 * 3600); // reaches the end of the recording
  });
});

describe("embedSpeakerVoice", () => {
  // 20 s whose sample value says which second it is, and an embedder that reports what it was given.
  const wav = () =>
    Readable.from([
      encodeWavSamples(
        Float32Array.from({ length: 20 * 16_000 }, (_, i) => Math.floor(i / 16_000) / 32),
        16_000,
      ),
    ]);
  const seen: Float32Array[] = [];
  const embedder = {
    modelId: "probe",
    dimension: 1,
    embed: async (samples: Float32Array) => (seen.push(samples), Float32Array.of(samples.length)),
  };
  const segments = [
    { ...segmentOf("a", 0, { speaker: "SPEAKER_00" }), end: 3 },
    { ...segmentOf("b", 3, { speaker: "SPEAKER_01" }), end: 9 },
    { ...segmentOf("c", 9, { speaker: "SPEAKER_00" }), end: 12 },
  ];

  it("embeds only the named speaker's speech, all of it within the budget", async () => {
    const voice = await embedSpeakerVoice(segments, "SPEAKER_00", wav(), embedder);
    expect(voice?.speechSeconds).toBeCloseTo(6, 3);
    const given = seen.at(-1)!;
    expect(given.length).toBe(6 * 16_000);
    const seconds = new Set(Array.from(given, (v) => Math.round(v * 32)));
    expect([...seconds].sort((a, b) => a - b)).toEqual([0, 1, 2, 9, 10, 11]);
  });

  it(`teaches nothing from under ${TEACH_MIN_SPEECH_SECONDS} s of a speaker, or from a speaker not there`, async () => {
    const short = segments.map((s) => (s.speaker === "SPEAKER_00" ? { ...s, end: s.start + 2 } : s));
    const calls = seen.length;
    expect(await embedSpeakerVoice(short, "SPEAKER_00", wav(), embedder)).toBeNull();
    expect(await embedSpeakerVoice(segments, "SPEAKER_09", wav(), embedder)).toBeNull();
    expect(seen.length).toBe(calls);
  });
});
