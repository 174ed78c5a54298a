/**
 * providers/speakerEmbedder/create.ts: which speaker embedder a model path gives, loaded once per path, with the
 * calibration beside it and the threshold that follows. (SPEAKER_MODEL_URI, fetched from the Storage emulator and a
 * local http server, is in test/e2e/speakerModel.test.ts.)
 */
import { createHash } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BaselineSpeakerEmbedder } from "../../../../src/providers/speakerEmbedder/baseline.js";
import { createSpeakerEmbedder, speakerEmbedderFor } from "../../../../src/providers/speakerEmbedder/create.js";
import { OnnxSpeakerEmbedder, SpeakerModelError } from "../../../../src/providers/speakerEmbedder/onnx.js";
import { scoringFor, UNCALIBRATED_THRESHOLD } from "../../../../src/providers/speakerEmbedder/scoring.js";
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

  it("reads the calibration beside the model; its threshold applies unless one is pinned", async () => {
    const dir = dirname(paths.stats);
    const model = join(dir, "calibrated.onnx");
    await writeFile(model, await readFile(paths.projection));
    const modelId = `onnx:${createHash("sha256")
      .update(await readFile(model))
      .digest("hex")
      .slice(0, 16)}`;
    const calibration = { model_id: modelId, threshold: 0.61, score_normalization: "none", measured: { eer: 0.04 } };
    await writeFile(join(dir, "calibrated.calibration.json"), JSON.stringify(calibration));
    const embedder = await speakerEmbedderFor({ speakerModelPath: model, speakerModelThreads: 1 });
    expect(embedder.modelId).toBe(modelId);
    expect(embedder.calibration).toEqual(calibration);
    expect(scoringFor(embedder, null).threshold).toBe(0.61);
    expect(scoringFor(embedder, 0.7).threshold).toBe(0.7);
    // No calibration beside the model: a pinned threshold, else the uncalibrated default.
    const uncalibrated = await createSpeakerEmbedder(paths.stats);
    expect(uncalibrated.calibration).toBeNull();
    expect(scoringFor(uncalibrated, null).threshold).toBe(UNCALIBRATED_THRESHOLD);
    expect(scoringFor(uncalibrated, 0.8).threshold).toBe(0.8);
  });

  it("refuses a calibration measured for another model, and a model file without the pinned digest", async () => {
    const dir = dirname(paths.stats);
    const model = join(dir, "miscalibrated.onnx");
    await writeFile(model, await readFile(paths.projection));
    await writeFile(
      join(dir, "miscalibrated.calibration.json"),
      JSON.stringify({ model_id: "onnx:0000000000000000", threshold: 0.5 }),
    );
    const load = speakerEmbedderFor({ speakerModelPath: model });
    await expect(load).rejects.toBeInstanceOf(SpeakerModelError);
    await expect(load).rejects.toThrow("its calibration was measured for onnx:0000000000000000, not for this model");

    const digest = createHash("sha256")
      .update(await readFile(paths.stats))
      .digest("hex");
    const pinned = { speakerModelPath: paths.stats, speakerModelSha256: digest };
    expect(await speakerEmbedderFor(pinned)).toBeInstanceOf(OnnxSpeakerEmbedder);
    await expect(speakerEmbedderFor({ ...pinned, speakerModelSha256: "f".repeat(64) })).rejects.toThrow(
      `SHA-256 mismatch: expected ${"f".repeat(64)} (SPEAKER_MODEL_SHA256), got ${digest}`,
    );
  });
});
