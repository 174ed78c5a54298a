/** transcript/groupSegments.ts: grouping cleaned words into transcript segments, and the too-short check. */
import { describe, expect, it } from "vitest";
import { cleanWords } from "../../../src/transcript/cleanWords.js";
import { groupWordsIntoSegments, isTranscriptTooShort, joinWords } from "../../../src/transcript/groupSegments.js";
import type { Word } from "../../../src/model/transcript.js";

const w = (text: string, start: number, end: number, speaker: string | null = "SPEAKER_00"): Word => ({
  text,
  start,
  end,
  speaker,
});

describe("groupWordsIntoSegments", () => {
  it("groups consecutive words of one speaker and splits on speaker change", () => {
    const segments = groupWordsIntoSegments([
      w("hello", 0, 0.4),
      w("there", 0.5, 0.9),
      w("hi", 1.2, 1.5, "SPEAKER_01"),
      w("again", 1.6, 2, "SPEAKER_00"),
    ]);
    expect(segments).toEqual([
      {
        text: "hello there",
        speaker: "SPEAKER_00",
        speaker_id: 0,
        is_user: false,
        person_id: null,
        start: 0,
        end: 0.9,
      },
      { text: "hi", speaker: "SPEAKER_01", speaker_id: 1, is_user: false, person_id: null, start: 1.2, end: 1.5 },
      { text: "again", speaker: "SPEAKER_00", speaker_id: 0, is_user: false, person_id: null, start: 1.6, end: 2 },
    ]);
  });
  it("splits one speaker's words at a long pause and at the maximum segment length", () => {
    const opts = { maxGapS: 1, maxSegmentS: 5 };
    expect(groupWordsIntoSegments([w("a", 0, 0.5), w("b", 1.4, 1.8), w("c", 3, 3.2)], opts).map((s) => s.text)).toEqual(
      ["a b", "c"],
    );
    const long = Array.from({ length: 20 }, (_, i) => w(`w${i}`, i * 0.5, i * 0.5 + 0.4));
    const segments = groupWordsIntoSegments(long, opts);
    expect(segments.every((s) => s.end - s.start <= 5)).toBe(true);
    expect(segments.map((s) => s.text).join(" ")).toBe(long.map((x) => x.text).join(" "));
  });
  it("handles no words, and labels that are not SPEAKER_nn", () => {
    expect(groupWordsIntoSegments([])).toEqual([]);
    const s = groupWordsIntoSegments([w("a", 0, 1, "alice"), w("b", 2, 3, "bob"), w("c", 4, 5, "alice")]);
    expect(s.map((x) => x.speaker_id)).toEqual([1000, 1001, 1000]);
  });
  it("joins punctuation tokens without a space", () => {
    expect(joinWords(["Hello", ",", "it", "'s", "me", "."])).toBe("Hello, it's me.");
  });
  it("is linear: 100k words group quickly and completely", () => {
    const words = Array.from({ length: 100_000 }, (_, i) =>
      w("word", i * 0.3, i * 0.3 + 0.25, `SPEAKER_0${Math.floor(i / 7) % 3}`),
    );
    const segments = groupWordsIntoSegments(cleanWords(words));
    expect(segments.reduce((n, s) => n + s.text.split(" ").length, 0)).toBe(100_000);
  });
});

describe("isTranscriptTooShort", () => {
  const seg = (text: string) => ({ text });
  it("is true under 85% of the existing characters, never without an existing transcript", () => {
    expect(isTranscriptTooShort([seg("x".repeat(84))], [seg("y".repeat(100))])).toBe(true);
    expect(isTranscriptTooShort([seg("x".repeat(85))], [seg("y".repeat(100))])).toBe(false);
    expect(isTranscriptTooShort([], [])).toBe(false);
    expect(isTranscriptTooShort([], [seg("  ")])).toBe(false);
  });
});
