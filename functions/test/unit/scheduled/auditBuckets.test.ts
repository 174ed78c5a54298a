/** scheduled/auditBuckets.ts classify: what an object is by its name, and so what must refer to it. */
import { describe, expect, it } from "vitest";
import { classify } from "../../../src/scheduled/auditBuckets.js";

describe("classify", () => {
  it("tells memory audio, kept recordings and voice samples apart by name and bucket", () => {
    expect(classify("u1/mem-1/job.16k.wav", "postprocessing")).toEqual({
      kind: "memory_audio",
      uid: "u1",
      memoryId: "mem-1",
    });
    expect(classify("u1/mem-1/job.m4a", "recordings")).toEqual({
      kind: "kept_recording",
      uid: "u1",
      memoryId: "mem-1",
    });
    expect(classify("u1/speech_profiles/self/1700000000.wav", "recordings")).toEqual({
      kind: "user_voice_sample",
      uid: "u1",
    });
    expect(classify("u1/speech_profiles/p-9/1700000000.wav", "recordings")).toEqual({
      kind: "person_voice_sample",
      uid: "u1",
      personId: "p-9",
    });
  });

  it("leaves names of no known shape to no rule (they are not deleted)", () => {
    expect(classify("u1/stray.bin", "postprocessing").kind).toBe("unknown");
    expect(classify("loose.txt", "recordings").kind).toBe("unknown");
    expect(classify("u1/speech_profiles/x", "recordings").kind).toBe("unknown");
  });
});
