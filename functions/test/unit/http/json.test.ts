/** http/json.ts: Firestore memory data to the JSON shape the app parses. */
import { describe, expect, it } from "vitest";
import { Timestamp } from "firebase-admin/firestore";
import { toAppMemory } from "../../../src/http/json.js";

const now = new Date("2026-11-25T12:00:00Z");

describe("toAppMemory", () => {
  it("fills the app's defaults, converts timestamps and hides pipeline internals", () => {
    const json = toAppMemory("m1", {
      created_at: Timestamp.fromDate(now),
      transcript_segments: [
        { text: "hi", speaker: "SPEAKER_00", speaker_id: 0, is_user: true, person_id: null, start: 0, end: 1 },
      ],
      postprocessing: {
        status: "in_progress",
        model: "fal_whisperx",
        fail_reason: null,
        job_id: "j",
        stages: { prepare_audio: {} },
        audio: {},
      },
    });
    expect(json).toMatchObject({
      id: "m1",
      created_at: "2026-11-25T12:00:00.000Z",
      source: "friend",
      photos: [],
      discarded: false,
      deleted: false,
      structured: { title: "", category: "other", action_items: [], events: [] },
      postprocessing: { status: "in_progress", model: "fal_whisperx", fail_reason: null, job_id: "j" },
    });
    expect(json.postprocessing).not.toHaveProperty("stages");
  });
});
