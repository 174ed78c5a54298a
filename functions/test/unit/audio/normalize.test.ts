/** audio/normalize.ts: decoding with the container pinned and the duration capped. */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalizeToWav16kMono } from "../../../src/audio/normalize.js";
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
