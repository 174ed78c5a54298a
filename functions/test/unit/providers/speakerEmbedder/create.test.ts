/** providers/speakerEmbedder/create.ts: which speaker embedder a model path gives, loaded once per path. */
import { readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BaselineSpeakerEmbedder } from "../../../../src/providers/speakerEmbedder/baseline.js";
import { createSpeakerEmbedder } from "../../../../src/providers/speakerEmbedder/create.js";
import { OnnxSpeakerEmbedder } from "../../../../src/providers/speakerEmbedder/onnx.js";
import { writeProjectionModel, writeStatsPoolingModel } from "../../../support/onnxFixture.js";

describe("createSpeakerEmbedder", () => {
  const paths: Record<"stats" | "projection", string> = { stats: "", projection: "" };

  beforeAll(async () => {
    paths.stats = await writeStatsPoolingModel();
    paths.projection = await writeProjectionModel({ outputDim: 64, seed: 1 });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      Object.values(paths)
        .filter(Boolean)
        .map((p) => rm(dirname(p), { recursive: true, force: true })),
    );
  });

  it("gives the baseline for an empty path and the ONNX embedder for a model path, each loaded once", async () => {
    const baseline = await createSpeakerEmbedder("");
    expect(baseline).toBeInstanceOf(BaselineSpeakerEmbedder);
    expect(await createSpeakerEmbedder("  ")).toBe(baseline);
    const onnx = await createSpeakerEmbedder(paths.stats);
    expect(onnx).toBeInstanceOf(OnnxSpeakerEmbedder);
    expect(onnx.dimension).toBe(160);
    expect(await createSpeakerEmbedder(paths.stats)).toBe(onnx);
  });

  it("rejects a missing model file with a clear message, and does not cache the failure", async () => {
    const missing = join(dirname(paths.stats), "later.onnx");
    await expect(createSpeakerEmbedder(missing)).rejects.toThrow(`Speaker model ${missing}: file not found`);
    await writeFile(missing, await readFile(paths.projection));
    expect((await createSpeakerEmbedder(missing)).dimension).toBe(64);
  });
});
