/** providers/transcriber/pocketsphinx.ts: local speech-to-text with Debian pocketsphinx, and its output. */
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readWavInfo } from "../../../../src/audio/wav.js";
import {
  isPocketsphinxAvailable,
  parsePocketsphinxOutput,
  recognizeWav,
} from "../../../../src/providers/transcriber/pocketsphinx.js";
import type { Word } from "../../../../src/model/transcript.js";
import { speak } from "../../../support/speech.js";

/**
 * The real 11 s JFK clip ("…ask not what your country can do for you…"), vendored in test/fixtures (see its README).
 */
const JFK_WAV = fileURLToPath(new URL("../../../fixtures/jfk.wav", import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocketsphinx-"));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

function expectPlausibleTimings(words: Word[], durationS: number) {
  for (const [i, w] of words.entries()) {
    expect(w.start).toBeGreaterThanOrEqual(0);
    expect(w.end).toBeGreaterThan(w.start);
    expect(w.end).toBeLessThanOrEqual(durationS + 0.05);
    if (i > 0) expect(w.start).toBeGreaterThanOrEqual(words[i - 1].end);
    expect(w.speaker).toBeNull();
    expect(w.confidence).toBeGreaterThanOrEqual(0);
    expect(w.confidence).toBeLessThanOrEqual(1);
  }
}

describe("recognizeWav (Debian pocketsphinx + pocketsphinx-en-us)", () => {
  it("is installed here", async () => {
    expect(await isPocketsphinxAvailable()).toBe(true);
  });

  it("recognises words of the real JFK clip at plausible times", async () => {
    const durationS = (await readWavInfo(JFK_WAV))!.durationS;
    const started = performance.now();
    const words = await recognizeWav(JFK_WAV);
    const elapsedS = (performance.now() - started) / 1000;
    const reference =
      "and so my fellow americans ask not what your country can do for you ask what you can do for your country".split(
        " ",
      );
    const hits = words.filter((w) => reference.includes(w.text));
    console.info(
      `pocketsphinx jfk.wav: "${words.map((w) => w.text).join(" ")}" — ` +
        `${hits.length}/${words.length} words in the reference; ` +
        `${elapsedS.toFixed(1)} s for ${durationS.toFixed(1)} s (RTF ${(elapsedS / durationS).toFixed(2)})`,
    );

    expect(words.length).toBeGreaterThan(10);
    expectPlausibleTimings(words, durationS);
    expect(words.every((w) => /^[a-z']+$/.test(w.text))).toBe(true); // no <s>, <sil>, [NOISE] or "(2)"
    const country = words.find((w) => w.text === "country");
    expect(country).toBeDefined();
    expect(country!.start).toBeGreaterThan(5); // "…what your country…" is spoken at about 5.9 s
    expect(country!.end).toBeLessThan(7);
    expect(hits.length).toBeGreaterThanOrEqual(words.length / 2);
  }, 60_000);

  it("recognises part of an espeak sentence", async () => {
    const path = join(dir, "espeak.wav");
    const text = "the weather is nice today and we are going to the park";
    await writeFile(path, await speak(text, "en-us", { wordsPerMinute: 140 }));
    const words = await recognizeWav(path);
    const spoken = new Set(text.split(" "));
    expectPlausibleTimings(words, (await readWavInfo(path))!.durationS);
    expect(words.filter((w) => spoken.has(w.text)).length).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it("refuses audio that is not 16 kHz mono", async () => {
    const path = join(dir, "stereo.wav");
    const header = Buffer.alloc(44);
    header.write("RIFF", 0);
    header.writeUInt32LE(36 + 400, 4);
    header.write("WAVEfmt ", 8);
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(2, 22);
    header.writeUInt32LE(44_100, 24);
    header.writeUInt32LE(44_100 * 4, 28);
    header.writeUInt16LE(4, 32);
    header.writeUInt16LE(16, 34);
    header.write("data", 36);
    header.writeUInt32LE(400, 40);
    await writeFile(path, Buffer.concat([header, Buffer.alloc(400)]));
    await expect(recognizeWav(path)).rejects.toThrow(/16 kHz mono.*44100 Hz, 2 channel/);
  });
});

describe("pocketsphinx binary errors", () => {
  it("says pocketsphinx is not installed when the binary is missing", async () => {
    vi.stubEnv("POCKETSPHINX_PATH", join(dir, "no-such-pocketsphinx"));
    expect(await isPocketsphinxAvailable()).toBe(false);
    await expect(recognizeWav(JFK_WAV)).rejects.toThrow(/pocketsphinx is not installed/);
    vi.stubEnv("POCKETSPHINX_PATH", "no-such-pocketsphinx-on-path");
    expect(await isPocketsphinxAvailable()).toBe(false);
    vi.unstubAllEnvs();
  });

  it("reports the exit code and stderr tail when it fails", async () => {
    const fake = join(dir, "failing-pocketsphinx");
    await writeFile(
      fake,
      "#!/bin/sh\necho 'INFO: lots of log' >&2\necho 'FATAL: acoustic model not found' >&2\nexit 3\n",
    );
    await chmod(fake, 0o755);
    vi.stubEnv("POCKETSPHINX_PATH", fake);
    expect(await isPocketsphinxAvailable()).toBe(true);
    await expect(recognizeWav(JFK_WAV)).rejects.toThrow(
      /exited 3: INFO: lots of log\nFATAL: acoustic model not found$/,
    );
    vi.unstubAllEnvs();
  });
});

describe("parsePocketsphinxOutput", () => {
  it("keeps timed words, drops hypotheses, markers and fillers, strips pronunciation variants", () => {
    const stdout = [
      "what your country can do",
      "<s> 5.300 5.340 0.999200",
      "what 5.350 5.600 0.285662",
      "[NOISE] 5.600 5.700 0.5",
      "can(2) 6.430 6.670 0.028595",
      "++BREATH++ 6.670 6.700 0.4",
      "<sil> 6.700 6.800 0.82",
      "you 7.060 7.670 1.000300",
      "</s> 7.680 7.950 1.000000",
      "",
    ].join("\n");
    expect(parsePocketsphinxOutput(stdout)).toEqual([
      { text: "what", start: 5.35, end: 5.6, speaker: null, confidence: 0.285662 },
      { text: "can", start: 6.43, end: 6.67, speaker: null, confidence: 0.028595 },
      { text: "you", start: 7.06, end: 7.67, speaker: null, confidence: 1 },
    ]);
  });
});
