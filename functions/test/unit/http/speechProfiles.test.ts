/** http/speechProfiles.ts: how a stored profile is shown, in particular one another speaker model made. */
import { describe, expect, it } from "vitest";
import { profileView } from "../../../src/http/speechProfiles.js";
import type { StoredSpeechProfile } from "../../../src/store/profiles.js";

const stored: StoredSpeechProfile = {
  model_id: "onnx:0123456789abcdef",
  embedding: [0.1, 0.2],
  sample_count: 2,
  speech_seconds: 12.3456,
  updated_at: "2026-11-30T10:00:00.000Z",
  sample_object: null,
};

describe("profileView", () => {
  it("shows a profile of the current model as usable, without its embedding", () => {
    expect(profileView(stored, "onnx:0123456789abcdef")).toEqual({
      model_id: "onnx:0123456789abcdef",
      sample_count: 2,
      speech_seconds: 12.35,
      updated_at: "2026-11-30T10:00:00.000Z",
      needs_reenrollment: false,
      reenrollment_reason: null,
    });
    expect(profileView(undefined, "baseline-mfcc-f0-v1")).toBeNull();
  });

  it("flags a profile another model made, with the stored reason or model_changed", () => {
    expect(profileView(stored, "baseline-mfcc-f0-v1")).toMatchObject({
      needs_reenrollment: true,
      reenrollment_reason: "model_changed",
    });
    const flagged = { ...stored, needs_reenrollment: true, reenrollment_reason: "model_changed" };
    expect(profileView(flagged, "baseline-mfcc-f0-v1")).toMatchObject({ needs_reenrollment: true });
    // Back on the profile's own model, a stale stored flag does not count.
    expect(profileView(flagged, stored.model_id)).toMatchObject({
      needs_reenrollment: false,
      reenrollment_reason: null,
    });
    // Where the current model is not loaded (a rename), the stored flag is what is known.
    expect(profileView(flagged)).toMatchObject({ needs_reenrollment: true });
    expect(profileView(stored)).toMatchObject({ needs_reenrollment: false });
  });
});
