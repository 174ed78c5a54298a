/** speaker/matching.ts: matching diarized speakers to enrolled voice profiles, and averaging embeddings into one. */
import { describe, expect, it } from "vitest";
import type { VoiceProfile } from "../../../src/model/speaker.js";
import { checkTurn, matchSpeakers, meanEmbedding, weightedMeanEmbedding } from "../../../src/speaker/matching.js";
import { speakerScoring } from "../../../src/speaker/scoring.js";
import { cosineSimilarity } from "../../../src/speaker/similarity.js";

const vec = (...values: number[]) => Float32Array.from(values);
/** A unit vector at `degrees` from [1, 0, 0] in the x-y plane: cosine to [1, 0, 0] is cos(degrees). */
const at = (degrees: number) => vec(Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180), 0);

const user: VoiceProfile = { id: "user", kind: "user", embedding: vec(1, 0, 0) };
const alice: VoiceProfile = { id: "person-alice", kind: "person", embedding: vec(0, 0, 1) };

/** Plain cosine, margin 0.05, 5 s of speech needed, turns checked at 0.8. */
const rule = (threshold: number, margin = 0.05) =>
  speakerScoring(threshold, null, { margin, minSpeechSeconds: 5, turnThreshold: 0.8 });
/** Speakers with 20 s of speech each. */
const heard = (entries: [string, Float32Array][], speechSeconds = 20) =>
  new Map(entries.map(([label, embedding]) => [label, { embedding, speechSeconds }]));

describe("matchSpeakers", () => {
  it("names a speaker whose nearest profile clears the threshold, and says why the others are not named", () => {
    const speakers = heard([
      ["SPEAKER_00", at(10)], // cos 0.985 to the user
      ["SPEAKER_01", vec(0, 0.2, 1)], // cos to alice 0.981
      ["SPEAKER_02", at(60)], // cos 0.5
    ]);
    const result = matchSpeakers(speakers, [user, alice], rule(0.9));
    expect(result.get("SPEAKER_00")).toMatchObject({
      status: "user",
      profileId: "user",
      nearest: "user",
      similarity: expect.closeTo(Math.cos(Math.PI / 18), 6),
    });
    expect(result.get("SPEAKER_01")).toMatchObject({ status: "person", profileId: "person-alice" });
    expect(result.get("SPEAKER_02")).toMatchObject({ status: "unknown", profileId: null, nearest: "user" });
    expect([...result.keys()]).toEqual(["SPEAKER_00", "SPEAKER_01", "SPEAKER_02"]);

    const exactly = matchSpeakers(heard([["SPEAKER_00", vec(1, 0, 0)]]), [user], rule(1));
    expect(exactly.get("SPEAKER_00")?.status).toBe("user");
  });

  it("names nobody on less speech than the minimum evidence (too_short), however close", () => {
    const result = matchSpeakers(heard([["SPEAKER_00", at(0)]], 4.9), [user], rule(0.9));
    expect(result.get("SPEAKER_00")).toMatchObject({ status: "too_short", profileId: null, nearest: "user" });
    expect(matchSpeakers(heard([["SPEAKER_00", at(0)]], 5), [user], rule(0.9)).get("SPEAKER_00")?.status).toBe("user");
  });

  it("is ambiguous when the runner-up profile is within the margin, and names the best one beyond it", () => {
    const bob: VoiceProfile = { id: "person-bob", kind: "person", embedding: at(20) };
    // at(9): user cos(9°) 0.988, bob cos(11°) 0.982: 0.006 apart.
    expect(matchSpeakers(heard([["S", at(9)]]), [user, bob], rule(0.9, 0.01)).get("S")?.status).toBe("ambiguous");
    expect(matchSpeakers(heard([["S", at(9)]]), [user, bob], rule(0.9, 0.005)).get("S")?.status).toBe("user");
    // One profile alone: the margin has no runner-up to test.
    expect(matchSpeakers(heard([["S", at(9)]]), [user], rule(0.9, 0.5)).get("S")?.status).toBe("user");
  });

  it("gives a profile to one voice only: of two as close to the user, neither; of two far apart, the closer", () => {
    const close = matchSpeakers(
      heard([
        ["SPEAKER_00", at(10)], // 0.985
        ["SPEAKER_01", at(5)], // 0.996
      ]),
      [user],
      rule(0.9, 0.05),
    );
    expect(close.get("SPEAKER_00")?.status).toBe("ambiguous");
    expect(close.get("SPEAKER_01")?.status).toBe("ambiguous");
    const apart = matchSpeakers(
      heard([
        ["SPEAKER_00", at(20)], // 0.940
        ["SPEAKER_01", at(0)], // 1.000
      ]),
      [user],
      rule(0.9, 0.05),
    );
    expect(apart.get("SPEAKER_01")).toMatchObject({ status: "user", profileId: "user" });
    expect(apart.get("SPEAKER_00")).toMatchObject({ status: "unknown", profileId: null });
    // A voice too short to decide on does not contend.
    const short = matchSpeakers(
      new Map([
        ["SPEAKER_00", { embedding: at(10), speechSeconds: 20 }],
        ["SPEAKER_01", { embedding: at(5), speechSeconds: 2 }],
      ]),
      [user],
      rule(0.9, 0.05),
    );
    expect(short.get("SPEAKER_00")?.status).toBe("user");
    expect(short.get("SPEAKER_01")?.status).toBe("too_short");
  });

  it("lets a voice confidently matched to another profile keep it without contending for the user", () => {
    const bob: VoiceProfile = { id: "person-bob", kind: "person", embedding: at(40) };
    const result = matchSpeakers(
      heard([
        ["SPEAKER_00", at(0)], // user 1.0, bob 0.766
        ["SPEAKER_01", at(38)], // bob 0.999, user 0.788
      ]),
      [user, bob],
      rule(0.75, 0.05),
    );
    expect(result.get("SPEAKER_00")?.status).toBe("user");
    expect(result.get("SPEAKER_01")).toMatchObject({ status: "person", profileId: "person-bob" });
  });

  it("never gives a reserved (manually placed) profile automatically", () => {
    const result = matchSpeakers(heard([["S", at(0)]]), [user, alice], rule(0.9), { reserved: new Set(["user"]) });
    expect(result.get("S")).toMatchObject({ status: "unknown", profileId: null });
  });

  it("ignores profiles of another dimension (another embedding model) instead of comparing them", () => {
    const oldModelUser: VoiceProfile = { id: "user", kind: "user", embedding: vec(1, 0, 0, 0) };
    const speakers = heard([["SPEAKER_00", vec(1, 0, 0)]]);
    expect(matchSpeakers(speakers, [oldModelUser], rule(0.5)).get("SPEAKER_00")?.status).toBe("unknown");
    expect(
      matchSpeakers(speakers, [oldModelUser, alice, { ...user, id: "user-now" }], rule(0.5)).get("SPEAKER_00")
        ?.profileId,
    ).toBe("user-now");
  });

  it("returns every speaker unknown when there are no profiles", () => {
    const result = matchSpeakers(heard([["SPEAKER_00", at(0)]]), [], rule(0));
    expect(result.get("SPEAKER_00")).toMatchObject({ status: "unknown", nearest: null, similarity: null });
  });
});

describe("checkTurn", () => {
  it("keeps a turn that matches its speaker's profile and splits off one that does not", () => {
    expect(checkTurn(at(20), "user", [user, alice], rule(0.9))).toEqual({ keep: true }); // 0.94 ≥ 0.8
    expect(checkTurn(at(50), "user", [user, alice], rule(0.9))).toEqual({ keep: false, status: "unknown" }); // 0.64
    // Closer to another profile than to its speaker's: ambiguous, not the user.
    const bob: VoiceProfile = { id: "person-bob", kind: "person", embedding: at(30) };
    expect(checkTurn(at(25), "user", [user, bob], rule(0.9))).toEqual({ keep: false, status: "ambiguous" });
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

describe("weightedMeanEmbedding", () => {
  it("weighs unit vectors: a profile of three samples moves a quarter of the way to a fourth", () => {
    const mean = weightedMeanEmbedding([
      { embedding: vec(2, 0, 0), weight: 3 },
      { embedding: vec(0, 5, 0), weight: 1 },
    ])!;
    expect([...mean]).toEqual([0.75, 0.25, 0]);
    expect(weightedMeanEmbedding([])).toBeNull();
  });
});
