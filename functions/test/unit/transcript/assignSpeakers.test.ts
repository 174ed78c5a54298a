/** transcript/assignSpeakers.ts: attaching diarization turns to transcribed words. */
import { describe, expect, it } from "vitest";
import { assignSpeakers } from "../../../src/transcript/assignSpeakers.js";
import type { SpeakerTurn, Word } from "../../../src/model/transcript.js";

describe("assignSpeakers", () => {
  const word = (text: string, start: number, end: number): Word => ({
    text,
    start,
    end,
    speaker: null,
    confidence: 0.9,
  });
  const turns: SpeakerTurn[] = [
    { start: 0, end: 2, speaker: "SPEAKER_00" },
    { start: 2, end: 4, speaker: "SPEAKER_01" },
    { start: 6, end: 8, speaker: "SPEAKER_00" },
    { start: 10, end: 11, speaker: "SPEAKER_02" },
  ];

  it("uses the turn with the largest overlap, else the nearest turn in time", () => {
    const words = [
      word("inside", 0.5, 0.9),
      word("straddling", 1.8, 2.5), // 0.2 s in SPEAKER_00, 0.5 s in SPEAKER_01
      word("pause-near-01", 4.2, 4.5), // 0.2 s after SPEAKER_01, 1.5 s before the next turn
      word("pause-near-00", 5.4, 5.8),
      word("spanning", 3.5, 6.8), // 0.5 s in SPEAKER_01, 0.8 s in SPEAKER_00
      word("instant", 7, 7),
      word("after-all", 12, 12.4),
    ];
    const result = assignSpeakers(words, turns);
    expect(result.map((w) => [w.text, w.speaker])).toEqual([
      ["inside", "SPEAKER_00"],
      ["straddling", "SPEAKER_01"],
      ["pause-near-01", "SPEAKER_01"],
      ["pause-near-00", "SPEAKER_00"],
      ["spanning", "SPEAKER_00"],
      ["instant", "SPEAKER_00"],
      ["after-all", "SPEAKER_02"],
    ]);
    expect(result[0]).toEqual({ ...words[0], speaker: "SPEAKER_00" }); // other fields kept
    expect(words[0].speaker).toBeNull(); // inputs not modified
  });

  it("gives a word before every turn the first turn's speaker, and no speaker without turns", () => {
    const late = [
      { start: 5, end: 6, speaker: "SPEAKER_00" },
      { start: 7, end: 8, speaker: "SPEAKER_01" },
    ];
    expect(assignSpeakers([word("early", 0, 0.3)], late)[0].speaker).toBe("SPEAKER_00");
    expect(assignSpeakers([word("x", 1, 2)], [])[0].speaker).toBeNull();
    expect(assignSpeakers([], turns)).toEqual([]);
  });
});
