/** config.ts: the speaker-model params (SPEAKER_MODEL_URI needs its pinned digest; where a model may come from). */
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig, parseSpeakerModelUri } from "../../src/config.js";

const DIGEST = "0123456789abcdef".repeat(4);

describe("parseSpeakerModelUri", () => {
  const strict = { allowLoopbackHttp: false };

  it("takes gs://bucket/object and https URLs", () => {
    expect(parseSpeakerModelUri("gs://my-models/speaker/ecapa.onnx", strict)).toEqual({
      kind: "gs",
      bucket: "my-models",
      object: "speaker/ecapa.onnx",
    });
    const https = parseSpeakerModelUri("https://example.com/m.onnx", strict);
    expect(https.kind === "http" && https.url.href).toBe("https://example.com/m.onnx");
  });

  it("takes plain http only to loopback, and only where allowed (the emulator)", () => {
    expect(parseSpeakerModelUri("http://127.0.0.1:9/m.onnx", { allowLoopbackHttp: true }).kind).toBe("http");
    expect(() => parseSpeakerModelUri("http://127.0.0.1:9/m.onnx", strict)).toThrow("only in the emulator");
    expect(() => parseSpeakerModelUri("http://example.com/m.onnx", { allowLoopbackHttp: true })).toThrow(
      "SPEAKER_MODEL_URI must be gs://bucket/object or an https:// URL",
    );
    for (const bad of ["gs://bucket", "gs:///object", "s3://b/o", "/srv/model.onnx", "model.onnx"])
      expect(() => parseSpeakerModelUri(bad, strict), bad).toThrow("SPEAKER_MODEL_URI must be");
  });
});

describe("loadConfig: speaker model", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of ["SPEAKER_MODEL_URI", "SPEAKER_MODEL_SHA256", "SPEAKER_MODEL_PATH"]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it("defaults to no URI, no digest and the baseline", () => {
    expect(loadConfig()).toMatchObject({ speakerModelUri: "", speakerModelSha256: "", speakerModelPath: "" });
  });

  it("keeps the URI with its digest (lowercased), beside the path", () => {
    process.env.SPEAKER_MODEL_URI = "gs://models/ecapa.onnx";
    process.env.SPEAKER_MODEL_SHA256 = DIGEST.toUpperCase();
    process.env.SPEAKER_MODEL_PATH = "models/local.onnx";
    expect(loadConfig()).toMatchObject({
      speakerModelUri: "gs://models/ecapa.onnx",
      speakerModelSha256: DIGEST,
      speakerModelPath: "models/local.onnx",
    });
  });

  it("refuses a URI without a digest, a malformed digest, and a malformed URI", () => {
    process.env.SPEAKER_MODEL_URI = "gs://models/ecapa.onnx";
    process.env.SPEAKER_MODEL_SHA256 = "";
    expect(() => loadConfig()).toThrow("SPEAKER_MODEL_SHA256 is required when SPEAKER_MODEL_URI is set");
    process.env.SPEAKER_MODEL_SHA256 = "abc";
    expect(() => loadConfig()).toThrow("SPEAKER_MODEL_SHA256 must be 64 hex digits");
    process.env.SPEAKER_MODEL_SHA256 = DIGEST;
    process.env.SPEAKER_MODEL_URI = "http://example.com/ecapa.onnx";
    expect(() => loadConfig()).toThrow("SPEAKER_MODEL_URI must be");
  });
});
