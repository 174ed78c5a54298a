/** store/profiles.ts personProfile: how every path that changes a person's samples stores their profile. */
import { describe, expect, it } from "vitest";
import { personProfile } from "../../../src/store/profiles.js";

describe("personProfile", () => {
  const now = "2026-12-02T10:00:00.000Z";

  it("is the mean of the samples' unit-length embeddings, with their count and speech", () => {
    // Lengths differ (3 and 1): each sample counts once, whatever its scale.
    const profile = personProfile(
      [
        { embedding: [3, 0], speech_seconds: 6.5 },
        { embedding: [0, 1], speech_seconds: 4 },
      ],
      "baseline-mfcc-f0-v1",
      now,
    );
    expect(profile).toMatchObject({
      model_id: "baseline-mfcc-f0-v1",
      sample_count: 2,
      speech_seconds: 10.5,
      updated_at: now,
    });
    expect(profile!.embedding[0]).toBeCloseTo(0.5, 6);
    expect(profile!.embedding[1]).toBeCloseTo(0.5, 6);
  });

  it("is null without samples (re-embedding then flags the person for a new sample)", () => {
    expect(personProfile([], "baseline-mfcc-f0-v1", now)).toBeNull();
  });
});
