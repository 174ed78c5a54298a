/**
 * providers/speakerEmbedder/modelFetch.ts: a model fetched over http from a local server (loopback allowed
 * explicitly; the gs:// path runs against the Storage emulator in test/e2e/speakerModel.test.ts), checked against its
 * pinned digest, fetched once, failures not cached; calibration beside a model.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  calibrationUriFor,
  fetchSpeakerModel,
  readSpeakerCalibration,
  verifySpeakerModelFile,
} from "../../../../src/providers/speakerEmbedder/modelFetch.js";
import { SpeakerModelError } from "../../../../src/providers/speakerEmbedder/onnx.js";
import { PipelineError } from "../../../../src/errors.js";
import { writeProjectionModel } from "../../../support/onnxFixture.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A local server for `/model.onnx` and friends; each test sets what it answers and counts requests. */
let server: Server;
let origin: string;
let routes: Record<string, { status: number; body?: Uint8Array | string; delayMs?: number }>;
const hits: Record<string, number> = {};
let modelPath: string;
let modelBytes: Buffer;
let dir: string;
const options = () => ({ dir, allowLoopbackHttp: true });

beforeAll(async () => {
  modelPath = await writeProjectionModel({ outputDim: 16, seed: 41 });
  modelBytes = await readFile(modelPath);
  server = createServer((req, res) => {
    const path = req.url ?? "";
    hits[path] = (hits[path] ?? 0) + 1;
    const route = routes[path] ?? { status: 404 };
    setTimeout(() => {
      res.statusCode = route.status;
      res.end(route.body);
    }, route.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await rm(dirname(modelPath), { recursive: true, force: true });
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "model-fetch-"));
  routes = {};
  for (const key of Object.keys(hits)) delete hits[key];
  return () => rm(dir, { recursive: true, force: true });
});

describe("fetchSpeakerModel over http", () => {
  it("downloads once into <dir>/<sha>.onnx, shared by concurrent callers", async () => {
    routes["/model.onnx"] = { status: 200, body: modelBytes, delayMs: 100 };
    const digest = sha256(modelBytes);
    const [a, b] = await Promise.all([
      fetchSpeakerModel(`${origin}/model.onnx`, digest, options()),
      fetchSpeakerModel(`${origin}/model.onnx`, digest.toUpperCase(), options()),
    ]);
    expect(a).toBe(join(dir, `${digest}.onnx`));
    expect(b).toBe(a);
    expect(await readFile(a)).toEqual(modelBytes);
    expect(await fetchSpeakerModel(`${origin}/model.onnx`, digest, options())).toBe(a);
    expect(hits["/model.onnx"]).toBe(1);
    expect(await readdir(dir)).toEqual([`${digest}.onnx`]); // no partial download left
  });

  it("refuses a model whose digest is not the pinned one, deletes it, and caches nothing", async () => {
    routes["/model.onnx"] = { status: 200, body: modelBytes };
    const pinned = "ab".repeat(32);
    const fetching = fetchSpeakerModel(`${origin}/model.onnx`, pinned, options());
    await expect(fetching).rejects.toBeInstanceOf(SpeakerModelError);
    await expect(fetching).rejects.toThrow(
      `SHA-256 mismatch: expected ${pinned} (SPEAKER_MODEL_SHA256), got ${sha256(modelBytes)}; ` +
        "the download was deleted",
    );
    expect(await readdir(dir)).toEqual([]);
    // Not cached: the next call fetches again (and fails again: the object did not change).
    await expect(fetchSpeakerModel(`${origin}/model.onnx`, pinned, options())).rejects.toThrow("SHA-256 mismatch");
    expect(hits["/model.onnx"]).toBe(2);
  });

  it("treats a missing object as configuration, a server error as transient; fetches again after either", async () => {
    const digest = sha256(modelBytes);
    routes["/model.onnx"] = { status: 404 };
    const missing = await fetchSpeakerModel(`${origin}/model.onnx`, digest, options()).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SpeakerModelError);
    expect((missing as PipelineError).retryable).toBe(false);
    routes["/model.onnx"] = { status: 503 };
    const down = await fetchSpeakerModel(`${origin}/model.onnx`, digest, options()).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(PipelineError);
    expect(down).toMatchObject({ code: "speaker_model_unavailable", retryable: true });
    expect((down as Error).message).toBe(`Speaker model ${origin}/model.onnx could not be fetched: HTTP 503`);
    routes["/model.onnx"] = { status: 200, body: modelBytes };
    expect(await fetchSpeakerModel(`${origin}/model.onnx`, digest, options())).toBe(join(dir, `${digest}.onnx`));
    expect(hits["/model.onnx"]).toBe(3);
  });

  it("uses a file already at the digest's name without downloading, and replaces one with other bytes", async () => {
    const digest = sha256(modelBytes);
    await writeFile(join(dir, `${digest}.onnx`), modelBytes);
    const other = await mkdtemp(join(tmpdir(), "model-fetch-other-"));
    try {
      await writeFile(join(other, `${digest}.onnx`), "truncated");
      routes["/model.onnx"] = { status: 200, body: modelBytes };
      expect(await fetchSpeakerModel(`${origin}/model.onnx`, digest, options())).toBe(join(dir, `${digest}.onnx`));
      expect(hits["/model.onnx"]).toBeUndefined();
      const replaced = await fetchSpeakerModel(`${origin}/model.onnx`, digest, { dir: other, allowLoopbackHttp: true });
      expect(await readFile(replaced)).toEqual(modelBytes);
      expect(hits["/model.onnx"]).toBe(1);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("refuses plain http unless loopback http is allowed (the emulator), and anything but gs:// or https://", async () => {
    const digest = sha256(modelBytes);
    await expect(fetchSpeakerModel(`${origin}/model.onnx`, digest, { dir, allowLoopbackHttp: false })).rejects.toThrow(
      "SPEAKER_MODEL_URI must be gs://bucket/object or an https:// URL (plain http to loopback only in the emulator)",
    );
    await expect(fetchSpeakerModel("http://example.com/model.onnx", digest, options())).rejects.toThrow(
      "SPEAKER_MODEL_URI must be gs://bucket/object or an https:// URL",
    );
    await expect(fetchSpeakerModel("ftp://example.com/model.onnx", digest, options())).rejects.toThrow(
      "SPEAKER_MODEL_URI must be",
    );
  });
});

describe("verifySpeakerModelFile", () => {
  it("accepts the pinned digest and names both digests otherwise", async () => {
    await verifySpeakerModelFile(modelPath, sha256(modelBytes).toUpperCase());
    await expect(verifySpeakerModelFile(modelPath, "0".repeat(64))).rejects.toThrow(
      `expected ${"0".repeat(64)} (SPEAKER_MODEL_SHA256), got ${sha256(modelBytes)}; the file was not loaded`,
    );
    await expect(verifySpeakerModelFile(join(dir, "nothing.onnx"), "0".repeat(64))).rejects.toThrow("file not found");
  });
});

describe("calibration beside the model", () => {
  it("is named after the model, for gs://, URLs and local paths", () => {
    expect(calibrationUriFor("gs://b/path/model.onnx")).toBe("gs://b/path/model.calibration.json");
    expect(calibrationUriFor("https://models.example.com/v2/ecapa.ONNX?alt=media")).toBe(
      "https://models.example.com/v2/ecapa.calibration.json?alt=media",
    );
    expect(calibrationUriFor("/srv/models/wespeaker.onnx")).toBe("/srv/models/wespeaker.calibration.json");
    expect(calibrationUriFor("gs://b/models/latest")).toBe("gs://b/models/latest.calibration.json");
  });

  it("is read and validated over http and from a file; null when there is none", async () => {
    const calibration = { model_id: "onnx:0123456789abcdef", threshold: 0.62, measured: { far: 0.01, frr: 0.08 } };
    routes["/m.calibration.json"] = { status: 200, body: JSON.stringify(calibration) };
    expect(await readSpeakerCalibration(`${origin}/m.onnx`, options())).toEqual(calibration);
    expect(await readSpeakerCalibration(`${origin}/none.onnx`, options())).toBeNull();

    const local = join(dir, "local.onnx");
    expect(await readSpeakerCalibration(local)).toBeNull();
    await writeFile(
      join(dir, "local.calibration.json"),
      JSON.stringify({ threshold: 0.5, score_normalization: "none" }),
    );
    expect(await readSpeakerCalibration(local)).toEqual({ threshold: 0.5, score_normalization: "none" });
  });

  it("refuses a malformed calibration with the file and the problem", async () => {
    const local = join(dir, "bad.onnx");
    const where = join(dir, "bad.calibration.json");
    await writeFile(where, JSON.stringify({ threshold: 1.5 }));
    await expect(readSpeakerCalibration(local)).rejects.toThrow(`Speaker model calibration ${where} is not valid`);
    await writeFile(where, JSON.stringify({ threshold: 0.5, score_normalization: "zscore" }));
    await expect(readSpeakerCalibration(local)).rejects.toThrow("score_normalization");
    await writeFile(where, "{ not json");
    await expect(readSpeakerCalibration(local)).rejects.toBeInstanceOf(SpeakerModelError);
    routes["/m.calibration.json"] = { status: 500 };
    await expect(readSpeakerCalibration(`${origin}/m.onnx`, options())).rejects.toMatchObject({ retryable: true });
  });
});
