/** audio/wavRanges.ts: chosen stretches of a WAV stream in one pass. */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { encodeWavSamples } from "../../../src/audio/pcm.js";
import { forEachWavRange, readWavRanges } from "../../../src/audio/wavRanges.js";

const RATE = 16_000;
/** A ramp, so every sample says where it came from. */
const ramp = (seconds: number) =>
  Float32Array.from({ length: seconds * RATE }, (_, i) => ((i % 32768) - 16384) / 32768);
/** The WAV as a stream of uneven chunks (odd sizes too). */
function streamOf(wav: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, size = 7; at < wav.length; at += size, size = (size * 3 + 1) % 4093 || 7)
    chunks.push(wav.subarray(at, at + size));
  return Readable.from(chunks);
}

describe("readWavRanges", () => {
  it("returns exactly the requested samples, grouped by key, across chunk boundaries", async () => {
    const samples = ramp(3);
    const wav = encodeWavSamples(samples, RATE);
    const { sampleRate, pieces } = await readWavRanges(streamOf(wav), [
      { key: "a", start: 0.5, end: 0.75 },
      { key: "b", start: 1, end: 2.5 },
      { key: "a", start: 2.9, end: 5 }, // runs past the end: cut
    ]);
    expect(sampleRate).toBe(RATE);
    const expectRange = (got: Float32Array, from: number, to: number) => {
      expect(got.length).toBe(to - from);
      for (let i = 0; i < got.length; i += 997) expect(got[i]).toBeCloseTo(samples[from + i], 4);
    };
    const [a1, a2] = pieces.get("a")!;
    expectRange(a1, 8000, 12000);
    expectRange(pieces.get("b")![0], 16000, 40000);
    expectRange(a2, 46400, 48000);
  });

  it("refuses what is not 16-bit mono PCM WAV", async () => {
    await expect(readWavRanges(Readable.from([Buffer.from("not a wav file at all".repeat(10))]), [])).rejects.toThrow(
      /Not a WAV/,
    );
    const stereo = encodeWavSamples(new Float32Array(200), RATE, 2);
    await expect(readWavRanges(Readable.from([stereo]), [])).rejects.toThrow(/mono/);
  });
});

describe("forEachWavRange", () => {
  it("hands over each range with exactly its samples, in order of start", async () => {
    const samples = ramp(4);
    const wav = encodeWavSamples(samples, RATE);
    const seen: { key: string; length: number; first: number }[] = [];
    await forEachWavRange(
      streamOf(wav),
      [
        { key: "late", start: 3, end: 3.5 },
        { key: "early", start: 0.25, end: 0.5 },
        { key: "overlap", start: 0.4, end: 1 },
        { key: "past-end", start: 3.9, end: 6 },
      ],
      async (key, got, rate) => {
        expect(rate).toBe(RATE);
        seen.push({ key, length: got.length, first: got[0] });
      },
    );
    expect(seen.map((s) => s.key)).toEqual(["early", "overlap", "late", "past-end"]);
    expect(seen.map((s) => s.length)).toEqual([0.25 * RATE, 0.6 * RATE, 0.5 * RATE, 0.1 * RATE]);
    expect(seen.map((s) => s.first)).toEqual([0.25, 0.4, 3, 3.9].map((t) => samples[Math.round(t * RATE)]));
  });
});
