/** providers/speakerEmbedder/onnx.ts: speaker embeddings from wespeaker-style ONNX models (generated fixtures). */
import { readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeWavSamples } from "../../../../src/audio/pcm.js";
import { fbank } from "../../../../src/speaker/features.js";
import {
  OnnxSpeakerEmbedder,
  SpeakerModelError,
  readOnnxMetadataProps,
} from "../../../../src/providers/speakerEmbedder/onnx.js";
import { cosineSimilarity } from "../../../../src/speaker/similarity.js";
import { writeProjectionModel, writeStatsPoolingModel } from "../../../support/onnxFixture.js";
import { speak } from "../../../support/speech.js";

const SR = 16_000;
const LINES = [
  "I think we should start the project next week if the budget is approved.",
  "The last release had a few problems with the mobile application.",
  "Can you send me the numbers from the customer survey before Friday?",
];

/**
 * espeak's utterance with its digital-silence padding cut off: finding speech is the caller's job, not the embedder's.
 */
async function speech(text: string, voice: string): Promise<Float32Array> {
  const { samples } = decodeWavSamples(await speak(text, voice));
  const audible = (x: number) => Math.abs(x) > 1e-3;
  return samples.subarray(samples.findIndex(audible), samples.findLastIndex(audible) + 1);
}
const norm = (v: Float32Array) => Math.hypot(...v);

describe("OnnxSpeakerEmbedder on generated wespeaker-style models", () => {
  const paths: Record<"stats" | "projection" | "otherProjection", string> = {
    stats: "",
    projection: "",
    otherProjection: "",
  };
  let stats: OnnxSpeakerEmbedder;
  let projection: OnnxSpeakerEmbedder;
  let male: Float32Array[];
  let female: Float32Array[];

  beforeAll(async () => {
    paths.stats = await writeStatsPoolingModel();
    paths.projection = await writeProjectionModel({ outputDim: 64, seed: 1 });
    paths.otherProjection = await writeProjectionModel({ outputDim: 64, seed: 2 });
    [stats, projection] = await Promise.all([
      OnnxSpeakerEmbedder.load(paths.stats),
      OnnxSpeakerEmbedder.load(paths.projection),
    ]);
    male = await Promise.all(LINES.map((line) => speech(line, "en-us")));
    female = await Promise.all(LINES.map((line) => speech(line, "en+f3")));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([stats?.release(), projection?.release()]);
    await Promise.all(
      Object.values(paths)
        .filter(Boolean)
        .map((p) => rm(dirname(p), { recursive: true, force: true })),
    );
  });

  it("reads D and the metadata, and gives unit-length embeddings of that size, the same on every call", async () => {
    expect(stats.dimension).toBe(160);
    expect(projection.dimension).toBe(64);
    const props = readOnnxMetadataProps(await readFile(paths.stats));
    expect(Object.fromEntries(props)).toMatchObject({
      framework: "wespeaker",
      sample_rate: "16000",
      output_dim: "160",
      normalize_samples: "0",
    });

    const first = (await projection.embed(male[0]))!;
    expect(first).toHaveLength(64);
    expect(norm(first)).toBeCloseTo(1, 5);
    expect(await projection.embed(male[0])).toEqual(first);
    const [a, b] = await Promise.all([projection.embed(male[1]), projection.embed(male[1])]);
    expect(a).toEqual(b);
  });

  it("feeds feats as [1, T, 80] frame-major with per-utterance mean normalisation (checked in TS)", async () => {
    const samples = male[0];
    // What the stats-pooling model computes, done directly: fbank of int16-scaled samples, CMN, then mean and std per
    // bin.
    const frames = fbank(
      samples.map((v) => v * 32768),
      SR,
    );
    const bins = frames[0].length;
    const mean = new Float64Array(bins);
    for (const f of frames) for (let b = 0; b < bins; b++) mean[b] += f[b] / frames.length;
    const expected = new Float32Array(2 * bins);
    for (let b = 0; b < bins; b++) {
      let variance = 0;
      for (const f of frames) variance += (f[b] - mean[b]) ** 2 / frames.length;
      expected[bins + b] = Math.sqrt(variance); // the mean half stays ~0: CMN removed it
    }
    const expectedUnit = expected.map((v) => v / norm(expected));

    const actual = (await stats.embed(samples))!;
    const meanHalf = actual.subarray(0, bins);
    expect(Math.max(...meanHalf.map(Math.abs))).toBeLessThan(1e-4);
    for (let i = 0; i < actual.length; i++) expect(actual[i]).toBeCloseTo(expectedUnit[i], 4);
  });

  it("embeds long input in ≤ 10 s windows and averages their unit embeddings", async () => {
    const long = new Float32Array(23 * SR); // three windows of 7.67 s
    let at = 0;
    for (const part of [...male, ...male]) {
      long.set(part.subarray(0, Math.min(part.length, long.length - at)), at);
      at += part.length;
      if (at >= long.length) break;
    }
    const windowLength = Math.ceil(long.length / 3);
    const parts = await Promise.all(
      [0, 1, 2].map((w) => projection.embed(long.subarray(w * windowLength, (w + 1) * windowLength))),
    );
    const sum = new Float32Array(64);
    for (const p of parts) for (let i = 0; i < 64; i++) sum[i] += p![i];
    const whole = (await projection.embed(long))!;
    for (let i = 0; i < 64; i++) expect(whole[i]).toBeCloseTo(sum[i] / norm(sum), 5);
  });

  it("puts same-voice utterances closer than different voices (en-us vs en+f3), with both models", async () => {
    // Weight-free pooling statistics are a weak speaker representation (all raw cosines are near 1), so this checks the
    // ordering on average and for each utterance's nearest neighbour, not a wide margin.
    const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
    for (const embedder of [stats, projection]) {
      const utterances = [...male.map((s) => ({ s, voice: "en-us" })), ...female.map((s) => ({ s, voice: "en+f3" }))];
      const embeddings = await Promise.all(utterances.map((u) => embedder.embed(u.s)));
      const same: number[] = [];
      const different: number[] = [];
      const nearestIsSameVoice = utterances.map((u, i) => {
        let nearest = -1;
        for (let j = 0; j < utterances.length; j++) {
          if (j === i) continue;
          const cos = cosineSimilarity(embeddings[i]!, embeddings[j]!);
          if (j > i) (utterances[j].voice === u.voice ? same : different).push(cos);
          if (nearest < 0 || cos > cosineSimilarity(embeddings[i]!, embeddings[nearest]!)) nearest = j;
        }
        return utterances[nearest].voice === u.voice;
      });
      console.info(
        `${embedder.modelId} (D=${embedder.dimension}): same-voice cos mean ${mean(same).toFixed(4)}, ` +
          `different-voice ${mean(different).toFixed(4)}; ` +
          `nearest neighbour same voice ${nearestIsSameVoice.filter(Boolean).length}/6`,
      );
      expect(mean(same)).toBeGreaterThan(mean(different));
      expect(nearestIsSameVoice).toEqual(utterances.map(() => true));
    }
  });

  it("names the model by a hash of its bytes: different weights differ, identical bytes agree", async () => {
    const other = await OnnxSpeakerEmbedder.load(paths.otherProjection);
    const again = await OnnxSpeakerEmbedder.load(await writeProjectionModel({ outputDim: 64, seed: 1 }));
    expect(projection.modelId).toMatch(/^onnx:[0-9a-f]{16}$/);
    expect(other.modelId).not.toBe(projection.modelId);
    expect(stats.modelId).not.toBe(projection.modelId);
    expect(again.modelId).toBe(projection.modelId);
    await Promise.all([other.release(), again.release()]);
  });

  it("returns null for less than half a second of audio, and for silence", async () => {
    expect(await projection.embed(new Float32Array(0))).toBeNull();
    expect(await projection.embed(male[0].subarray(SR, SR + 0.4 * SR))).toBeNull();
    expect(await projection.embed(male[0].subarray(SR, SR + 0.6 * SR))).not.toBeNull();
    expect(await stats.embed(new Float32Array(2 * SR))).toBeNull();
  });

  it("finds D by running the model if the metadata does not say; refuses metadata contradicting it", async () => {
    const bare = await OnnxSpeakerEmbedder.load(await writeStatsPoolingModel({ metadata: false }));
    expect(bare.dimension).toBe(160);
    expect(await bare.embed(male[0])).toEqual(await stats.embed(male[0]));
    await bare.release();
    await expect(
      OnnxSpeakerEmbedder.load(await writeStatsPoolingModel({ metadata: { output_dim: "192" } })),
    ).rejects.toThrow(/output_dim=192 but it outputs 160/);
    await expect(
      OnnxSpeakerEmbedder.load(await writeStatsPoolingModel({ metadata: { sample_rate: "8000" } })),
    ).rejects.toThrow(/expects 8000 Hz/);
  });

  it("rejects a file that is not an ONNX model with a message naming it", async () => {
    const junk = join(dirname(paths.stats), "junk.onnx");
    await writeFile(junk, "this is not a model");
    const load = OnnxSpeakerEmbedder.load(junk);
    await expect(load).rejects.toBeInstanceOf(SpeakerModelError);
    await expect(load).rejects.toThrow(`Speaker model ${junk} is not a valid ONNX model`);
  });
});
