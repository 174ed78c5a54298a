/** speaker/voiceSample.ts: a sample's bytes to an embedding, or a refusal with the code the app shows. */
import { describe, expect, it } from "vitest";
import { encodeWavSamples } from "../../../src/audio/pcm.js";
import { SNIFF_BYTES } from "../../../src/audio/sniff.js";
import { HttpError } from "../../../src/errors.js";
import { BaselineSpeakerEmbedder } from "../../../src/providers/speakerEmbedder/baseline.js";
import { embedVoiceSample } from "../../../src/speaker/voiceSample.js";
import { makeConversation } from "../../support/speech.js";

const embedder = new BaselineSpeakerEmbedder();
const asUpload = (bytes: Buffer) => ({ head: bytes.subarray(0, SNIFF_BYTES), chunks: [bytes] });
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: unknown) => (e instanceof HttpError ? [e.status, e.code] : e),
  );

describe("embedVoiceSample", () => {
  it("embeds the speech of a sample with the embedder's model", async () => {
    const { wav } = await makeConversation(
      [
        { voice: "en-us", text: "This is my voice sample for the profile, recorded today." },
        { voice: "en-us", text: "It should be long enough to say who I am." },
      ],
      { gapS: 0.4 },
    );
    const sample = await embedVoiceSample(asUpload(wav), embedder);
    expect(sample.modelId).toBe(embedder.modelId);
    expect(sample.embedding).toHaveLength(embedder.dimension);
    expect(sample.format.ext).toBe("wav");
    expect(sample.durationS).toBeGreaterThan(5);
    expect(sample.speechSeconds).toBeGreaterThan(2);
    expect(sample.speechSeconds).toBeLessThanOrEqual(sample.durationS);
  }, 30_000);

  it("refuses what is not audio, too short, or has no speech", async () => {
    expect(await refusal(embedVoiceSample(asUpload(Buffer.from("not audio ".repeat(500))), embedder))).toEqual([
      415,
      "unsupported_media_type",
    ]);
    const silence = (seconds: number) => encodeWavSamples(new Float32Array(16_000 * seconds), 16_000);
    expect(await refusal(embedVoiceSample(asUpload(silence(3)), embedder))).toEqual([422, "sample_too_short"]);
    expect(await refusal(embedVoiceSample(asUpload(silence(8)), embedder))).toEqual([422, "no_speech"]);
  }, 30_000);
});
