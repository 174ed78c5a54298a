/** transcript/namedLines.ts: who spoke, by name. */
import { describe, expect, it } from "vitest";
import { namedLines } from "../../../src/transcript/namedLines.js";
import { segmentOf } from "../../support/transcripts.js";

describe("namedLines", () => {
  it("names the user, known people, and numbers everyone else by first appearance", () => {
    const segments = [
      segmentOf("hello", 0, { speaker: "SPEAKER_02" }),
      segmentOf("hi", 1, { speaker: "SPEAKER_00", isUser: true }),
      segmentOf("hey", 2, { speaker: "SPEAKER_01", personId: "p1" }),
      segmentOf("  ", 3, { speaker: "SPEAKER_03" }),
      segmentOf("yo", 4, { speaker: "SPEAKER_03" }),
      segmentOf("who am I", 5, { speaker: "SPEAKER_04", personId: "deleted-person" }),
    ];
    const lines = namedLines(segments, { user: "Sam", people: new Map([["p1", "Alice"]]) });
    expect(lines.map((l) => `${l.speaker}: ${l.text}`)).toEqual([
      "Speaker 1: hello",
      "Sam: hi",
      "Alice: hey",
      "Speaker 2: yo",
      "Speaker 3: who am I",
    ]);
  });
});
