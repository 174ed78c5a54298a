/** transcript/keyPhrases.ts: sentences and key phrases for extractive summaries. */
import { describe, expect, it } from "vitest";
import { keyPhrases, sentencesOf } from "../../../src/transcript/keyPhrases.js";

describe("sentencesOf", () => {
  it("splits punctuated text into sentences and unpunctuated text every 25 words, keeping the speaker", () => {
    const sentences = sentencesOf([
      { speaker: "A", text: "First one. Second one! Third?", start: 0 },
      { speaker: "B", text: Array.from({ length: 60 }, (_, i) => `w${i}`).join(" "), start: 5 },
    ]);
    expect(sentences.map((s) => [s.speaker, s.text.split(" ").length])).toEqual([
      ["A", 2],
      ["A", 2],
      ["A", 1],
      ["B", 25],
      ["B", 25],
      ["B", 10],
    ]);
  });
});

describe("keyPhrases", () => {
  it("ranks what people keep coming back to above one-off words and ignores stopwords and fillers", () => {
    const text =
      "Yeah so the mobile release is late. We should move the mobile release. " +
      "The budget for the mobile release is fine. I like coffee.";
    const phrases = keyPhrases(text, "en");
    expect(phrases[0].phrase).toBe("mobile release");
    expect(phrases.map((p) => p.phrase)).not.toContain("yeah");
    expect(phrases.every((p) => !/\b(the|is|so|we)\b/.test(p.phrase))).toBe(true);
  });
  it("uses the memory's language for stopwords", () => {
    const german = keyPhrases("Wir müssen das Budget für das Projekt prüfen. Das Projekt ist wichtig.", "de");
    expect(german[0].phrase).toMatch(/projekt/);
    expect(german.map((p) => p.phrase)).not.toContain("das");
  });
});
