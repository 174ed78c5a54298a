/** audio/pcm.ts: 16-bit PCM mono WAV <-> Float32 samples, and slicing by time. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  decodeWavSamples,
  encodeWavSamples,
  readWavSamples,
  sliceSamples,
  writeWavSamples,
} from "../../../src/audio/pcm.js";
import { makeWav } from "../../support/audio.js";

describe("PCM WAV samples", () => {
  it("round-trips samples through a file to 16-bit precision, clipping out-of-range values", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pcm-"));
    try {
      const samples = Float32Array.from([0, 0.5, -0.5, 0.999, -1, 1.7, -3]);
      await writeWavSamples(join(dir, "x.wav"), samples, 16_000);
      const back = await readWavSamples(join(dir, "x.wav"));
      expect(back.sampleRate).toBe(16_000);
      expect(Array.from(back.samples).map((v) => Number(v.toFixed(3)))).toEqual([0, 0.5, -0.5, 0.999, -1, 1, -1]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("finds the data after other chunks, and refuses stereo", () => {
    const wav = encodeWavSamples(Float32Array.from([0.25, -0.25]), 8000);
    const list = Buffer.concat([
      Buffer.from("LIST"),
      Buffer.from([5, 0, 0, 0]),
      Buffer.from("INFOx"),
      Buffer.from([0]),
    ]);
    const withList = Buffer.concat([wav.subarray(0, 36), list, wav.subarray(36)]);
    expect(Array.from(decodeWavSamples(withList).samples)).toEqual([0.25, -0.25]);
    expect(() => decodeWavSamples(makeWav({ seconds: 0.1, channels: 2 }))).toThrow(/mono/);
    expect(() => decodeWavSamples(Buffer.from("not a wav file at all"))).toThrow(/Not a WAV/);
  });

  it("slices by time, clamped to the signal", () => {
    const samples = Float32Array.from({ length: 100 }, (_, i) => i);
    expect(Array.from(sliceSamples(samples, 10, 1, 1.5))).toEqual([10, 11, 12, 13, 14]);
    expect(sliceSamples(samples, 10, -5, 0.2).length).toBe(2);
    expect(sliceSamples(samples, 10, 9.8, 50).length).toBe(2);
    expect(sliceSamples(samples, 10, 3, 2).length).toBe(0);
  });
});
