/** audio/normalize.ts: decoding with the container pinned and the duration capped. */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeToWav16kMonoStream, normalizeToWav16kMono } from "../../../src/audio/normalize.js";
import { forEachWavRange } from "../../../src/audio/wavRanges.js";
import { withTempDir } from "../../../src/audio/tempDir.js";
import { readWavInfo } from "../../../src/audio/wav.js";

const JFK = new URL("../../fixtures/jfk.wav", import.meta.url);

describe("normalizeToWav16kMono", () => {
  it("decodes to 16 kHz mono and reports the duration", () =>
    withTempDir("t", async (dir) => {
      const out = join(dir, "out.wav");
      const { durationS } = await normalizeToWav16kMono(new URL(JFK).pathname, out, { format: "wav", maxSeconds: 60 });
      expect(durationS).toBeCloseTo(11, 1);
      expect(await readWavInfo(out)).toMatchObject({ sampleRate: 16_000, channels: 1, bitsPerSample: 16 });
    }));

  it("decodes only as the sniffed container: a WAV declared as MP3 is not guessed into working", () =>
    withTempDir("t", async (dir) => {
      const input = join(dir, "in.mp3");
      await writeFile(input, await readFile(JFK));
      await expect(
        normalizeToWav16kMono(input, join(dir, "out.wav"), { format: "mp3", maxSeconds: 60 }),
      ).rejects.toMatchObject({
        code: "undecodable_audio",
        retryable: false,
      });
    }));

  it("refuses audio over the cap", () =>
    withTempDir("t", async (dir) => {
      await expect(
        normalizeToWav16kMono(new URL(JFK).pathname, join(dir, "out.wav"), { format: "wav", maxSeconds: 5 }),
      ).rejects.toMatchObject({ code: "audio_too_long" });
    }));

  it("refuses a container we do not decode", () =>
    withTempDir("t", async (dir) => {
      await expect(
        normalizeToWav16kMono(new URL(JFK).pathname, join(dir, "out.wav"), { format: "avi", maxSeconds: 60 }),
      ).rejects.toMatchObject({ code: "unsupported_media_type" });
    }));
});

describe("decodeToWav16kMonoStream", () => {
  it("streams the same samples the file decoding writes, so ranges read from either agree", () =>
    withTempDir("t", async (dir) => {
      const out = join(dir, "out.wav");
      await normalizeToWav16kMono(new URL(JFK).pathname, out, { format: "wav", maxSeconds: 60 });
      const fromFile = (await readFile(out)).subarray(44);
      const chunks: Buffer[] = [];
      for await (const c of decodeToWav16kMonoStream(new URL(JFK).pathname, { format: "wav", maxSeconds: 60 }))
        chunks.push(c as Buffer);
      const streamed = Buffer.concat(chunks);
      expect(streamed.subarray(0, 4).toString()).toBe("RIFF");
      expect(streamed.subarray(streamed.length - fromFile.length).equals(fromFile)).toBe(true);

      const ranges: [string, number, number][] = [];
      await forEachWavRange(
        decodeToWav16kMonoStream(new URL(JFK).pathname, { format: "wav", maxSeconds: 60 }),
        [{ key: "a", start: 2, end: 3.5 }],
        async (key, samples, sampleRate) => {
          ranges.push([key, samples.length, sampleRate]);
          const at = 2 * 16_000 * 2;
          expect(samples[0]).toBeCloseTo(fromFile.readInt16LE(at) / 32768, 6);
        },
      );
      expect(ranges).toEqual([["a", 24_000, 16_000]]);
    }));

  it("fails the stream with undecodable_audio when the bytes are not the declared container", () =>
    withTempDir("t", async (dir) => {
      const input = join(dir, "in.mp3");
      await writeFile(input, await readFile(JFK));
      const drain = async () => {
        for await (const _ of decodeToWav16kMonoStream(input, { format: "mp3", maxSeconds: 60 })) void _;
      };
      await expect(drain()).rejects.toMatchObject({ code: "undecodable_audio", retryable: false });
    }));
});
