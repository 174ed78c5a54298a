/** speaker/speakerSamples.ts: which stretches of each speaker are embedded. */
import { describe, expect, it } from "vitest";
import { chooseSpeakerSamples, MAX_SPEECH_PER_SPEAKER_S } from "../../../src/speaker/speakerSamples.js";
import { segmentOf } from "../../support/transcripts.js";

describe("chooseSpeakerSamples", () => {
  it("takes every segment of at least 0.5 s while a speaker has little speech", () => {
    const segments = [
      { ...segmentOf("a", 0, { speaker: "SPEAKER_00" }), end: 3 },
      { ...segmentOf("b", 3, { speaker: "SPEAKER_01" }), end: 3.3 }, // too short
      { ...segmentOf("c", 4, { speaker: "SPEAKER_01" }), end: 9 },
    ];
    expect(chooseSpeakerSamples(segments)).toEqual([
      { key: "SPEAKER_00", start: 0, end: 3 },
      { key: "SPEAKER_01", start: 4, end: 9 },
    ]);
  });

  it("bounds a long recording's speakers to a budget spread over the whole recording", () => {
    // Three hours of one speaker in 5 s segments.
    const segments = Array.from({ length: 2160 }, (_, i) => ({
      ...segmentOf("x", i * 5, { speaker: "SPEAKER_00" }),
      end: i * 5 + 5,
    }));
    const ranges = chooseSpeakerSamples(segments);
    const total = ranges.reduce((n, r) => n + (r.end - r.start), 0);
    expect(total).toBeLessThanOrEqual(MAX_SPEECH_PER_SPEAKER_S);
    expect(total).toBeGreaterThan(MAX_SPEECH_PER_SPEAKER_S - 5);
    expect(ranges[0].start).toBe(0);
    expect(ranges.at(-1)!.start).toBeGreaterThan(0.9 * 3 * 3600); // reaches the end of the recording
  });
});
