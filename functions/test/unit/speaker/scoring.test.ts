/** speaker/scoring.ts: plain and background-whitened cosine, and measuring a background from voices. */
import { describe, expect, it } from "vitest";
import { measureBackground, speakerScoring } from "../../../src/speaker/scoring.js";

const vec = (...values: number[]) => Float32Array.from(values);

describe("speakerScoring", () => {
  it("is the plain cosine without a background", () => {
    const scoring = speakerScoring(0.9);
    expect(scoring).toMatchObject({ threshold: 0.9, normalized: false });
    expect(scoring.score(vec(1, 0), vec(1, 1))).toBeCloseTo(Math.SQRT1_2, 9);
  });

  it("weighs dimensions by how well they tell voices apart once whitened", () => {
    // Dimension 0 is shared by everyone (no information); dimension 1 varies a lot within a voice; dimension 2 is
    // steady within a voice and differs between voices.
    const background = { mean: [0.9, 0, 0], scale: [0.01, 0.5, 0.01] };
    const a = vec(0.9, 0.3, 0.05);
    const sameVoiceOtherTake = vec(0.9, -0.3, 0.05);
    const otherVoice = vec(0.9, 0.3, -0.05);
    const plain = speakerScoring(0);
    // The plain cosine is fooled by the noisy dimension; the whitened one is not.
    expect(plain.score(a, otherVoice)).toBeGreaterThan(plain.score(a, sameVoiceOtherTake));
    const whitened = speakerScoring(0.5, background);
    expect(whitened.normalized).toBe(true);
    expect(whitened.score(a, sameVoiceOtherTake)).toBeGreaterThan(0.5);
    expect(whitened.score(a, otherVoice)).toBeLessThan(0);
  });

  it("never matches embeddings of another size than the background's", () => {
    const scoring = speakerScoring(0.5, { mean: [0, 0], scale: [1, 1] });
    expect(scoring.score(vec(1, 0, 0), vec(1, 0, 0))).toBe(-1);
  });
});

describe("measureBackground", () => {
  it("is the mean of the unit vectors and the pooled within-voice spread", () => {
    const voiceA = [vec(2, 0), vec(0, 2)]; // unit: (1,0), (0,1)
    const voiceB = [vec(0, 3), vec(0, 5)]; // unit: (0,1), (0,1)
    const { mean, scale } = measureBackground([voiceA, voiceB]);
    expect(mean[0]).toBeCloseTo(0.25, 9);
    expect(mean[1]).toBeCloseTo(0.75, 9);
    // Within voice A each dimension deviates ±0.5 from its mean; voice B not at all: sqrt((0.25+0.25)/4).
    expect(scale[0]).toBeCloseTo(Math.sqrt(0.125), 9);
    expect(scale[1]).toBeCloseTo(Math.sqrt(0.125), 9);
  });

  it("needs two voices", () => {
    expect(() => measureBackground([[vec(1, 0)]])).toThrow(/two voices/);
  });
});
