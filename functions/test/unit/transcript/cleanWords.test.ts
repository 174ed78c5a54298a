/** transcript/cleanWords.ts: cleaning a transcriber's words (empty words, times, missing speakers) before grouping. */
import { describe, expect, it } from "vitest";
import { cleanWords } from "../../../src/transcript/cleanWords.js";
import type { Word } from "../../../src/model/transcript.js";

const w = (text: string, start: number, end: number, speaker: string | null = "SPEAKER_00"): Word => ({
  text,
  start,
  end,
  speaker,
});

describe("cleanWords", () => {
  it("drops empty words and trims text", () => {
    expect(
      cleanWords([w(" hi ", 0, 0.2), w("  ", 0.3, 0.4), w("", 0.5, 0.6), w("there", 0.7, 0.9)]).map((x) => x.text),
    ).toEqual(["hi", "there"]);
  });
  it("keeps times monotonic: starts never go back, ends never precede starts", () => {
    const out = cleanWords([w("a", 1, 1.5), w("b", 0.8, 0.7), w("c", 2, Number.NaN)]);
    expect(out.map((x) => [x.start, x.end])).toEqual([
      [1, 1.5],
      [1, 1],
      [2, 2],
    ]);
  });
  it("fills a missing speaker from the nearest labelled word in time", () => {
    const out = cleanWords([
      w("a", 0, 0.5, "SPEAKER_00"),
      w("b", 0.6, 0.9, null),
      w("c", 3.0, 3.2, null),
      w("d", 3.3, 3.5, "SPEAKER_01"),
    ]);
    expect(out.map((x) => x.speaker)).toEqual(["SPEAKER_00", "SPEAKER_00", "SPEAKER_01", "SPEAKER_01"]);
  });
  it("labels everything SPEAKER_00 when nothing is labelled", () => {
    expect(cleanWords([w("a", 0, 1, null), w("b", 1, 2, null)]).map((x) => x.speaker)).toEqual([
      "SPEAKER_00",
      "SPEAKER_00",
    ]);
  });
});
