/** speaker/matching.ts: matching diarized speakers to enrolled voice profiles, and averaging embeddings into one. */
import { describe, expect, it } from "vitest";
import type { VoiceProfile } from "../../../src/model/speaker.js";
import { matchSpeakers, meanEmbedding } from "../../../src/speaker/matching.js";
import { cosineSimilarity } from "../../../src/speaker/similarity.js";

const vec = (...values: number[]) => Float32Array.from(values);
/** A unit vector at `degrees` from [1, 0, 0] in the x-y plane: cosine to [1, 0, 0] is cos(degrees). */
const at = (degrees: number) => vec(Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180), 0);

const user: VoiceProfile = { id: "user", kind: "user", embedding: vec(1, 0, 0) };
const alice: VoiceProfile = { id: "person-alice", kind: "person", embedding: vec(0, 0, 1) };

describe("matchSpeakers", () => {
  it("matches a speaker at or above the threshold and leaves one below it unknown", () => {
    const speakers = new Map([
      ["SPEAKER_00", at(10)], // cos 0.985
      ["SPEAKER_01", vec(0, 0.2, 1)], // cos to alice 0.981
      ["SPEAKER_02", at(60)], // cos 0.5
    ]);
    const result = matchSpeakers(speakers, [user, alice], 0.9);
    expect(result.get("SPEAKER_00")).toEqual({
      profileId: "user",
      kind: "user",
      similarity: expect.closeTo(Math.cos(Math.PI / 18), 6),
    });
    expect(result.get("SPEAKER_01")).toMatchObject({ profileId: "person-alice", kind: "person" });
    expect(result.get("SPEAKER_02")).toBeNull();
    expect([...result.keys()]).toEqual(["SPEAKER_00", "SPEAKER_01", "SPEAKER_02"]);

    const exactly = matchSpeakers(new Map([["SPEAKER_00", vec(1, 0, 0)]]), [user], 1);
    expect(exactly.get("SPEAKER_00")?.profileId).toBe("user");
  });

  it("gives a profile to at most one speaker: of two speakers close to the user, only the closer is the user", () => {
    const speakers = new Map([
      ["SPEAKER_00", at(15)],
      ["SPEAKER_01", at(5)],
    ]);
    const result = matchSpeakers(speakers, [user], 0.9);
    expect(result.get("SPEAKER_01")?.profileId).toBe("user");
    expect(result.get("SPEAKER_00")).toBeNull();
  });

  it("decides the most similar pairs first, so the runner-up can still take another profile above threshold", () => {
    const bob: VoiceProfile = { id: "person-bob", kind: "person", embedding: at(30) };
    const speakers = new Map([
      ["SPEAKER_00", at(12)], // user 0.978, bob 0.951: the user is its best match...
      ["SPEAKER_01", at(3)], // ...but this one is closer to the user (0.999; bob 0.891)
    ]);
    const result = matchSpeakers(speakers, [user, bob], 0.85);
    expect(result.get("SPEAKER_01")?.profileId).toBe("user");
    expect(result.get("SPEAKER_00")?.profileId).toBe("person-bob");
    // Alone, the same speaker gets its best profile, the user.
    const alone = matchSpeakers(new Map([["SPEAKER_00", at(12)]]), [user, bob], 0.85);
    expect(alone.get("SPEAKER_00")?.profileId).toBe("user");
  });

  it("ignores profiles of another dimension (another embedding model) instead of comparing them", () => {
    const oldModelUser: VoiceProfile = { id: "user", kind: "user", embedding: vec(1, 0, 0, 0) };
    const speakers = new Map([["SPEAKER_00", vec(1, 0, 0)]]);
    expect(matchSpeakers(speakers, [oldModelUser], 0.5).get("SPEAKER_00")).toBeNull();
    expect(
      matchSpeakers(speakers, [oldModelUser, alice, { ...user, id: "user-now" }], 0.5).get("SPEAKER_00")?.profileId,
    ).toBe("user-now");
  });

  it("returns every speaker unknown when there are no profiles", () => {
    const result = matchSpeakers(new Map([["SPEAKER_00", at(0)]]), [], 0);
    expect(result).toEqual(new Map([["SPEAKER_00", null]]));
  });
});

describe("meanEmbedding", () => {
  it("is null for no embeddings", () => {
    expect(meanEmbedding([])).toBeNull();
  });

  it("L2-normalises each embedding before averaging, so a loud sample does not outweigh a quiet one", () => {
    const quiet = vec(0.1, 0, 0);
    const loud = vec(0, 50, 0);
    const mean = meanEmbedding([quiet, loud])!;
    expect(mean[0]).toBeCloseTo(mean[1], 6);
    expect(mean[2]).toBe(0);
    expect(cosineSimilarity(mean, at(45))).toBeCloseTo(1, 6);
    // Scaling any input changes nothing.
    expect(meanEmbedding([vec(3, 0, 0), vec(0, 0.01, 0)])).toEqual(mean);
  });

  it("of one embedding is that embedding's direction with unit length", () => {
    const mean = meanEmbedding([vec(3, 4, 0)])!;
    expect(mean[0]).toBeCloseTo(0.6, 6);
    expect(mean[1]).toBeCloseTo(0.8, 6);
    expect(Math.hypot(...mean)).toBeCloseTo(1, 6);
  });

  it("leaves all-zero embeddings as zeros instead of dividing by zero", () => {
    const mean = meanEmbedding([vec(0, 0, 0), vec(0, 2, 0)])!;
    expect(Array.from(mean).every(Number.isFinite)).toBe(true);
    expect(cosineSimilarity(mean, vec(0, 1, 0))).toBeCloseTo(1, 6);
  });
});
