/** stages/prepareAudio.ts: the minimum audio length a job accepts. */
import { describe, expect, it } from "vitest";
import { minimumAudioSeconds, transcriptSpanSeconds } from "../../../src/stages/prepareAudio.js";

describe("minimum audio length", () => {
  const config = { minAudioSeconds: 10, transcriptShortfallSeconds: 10 };
  it("is 10 s, or the existing transcript's span minus 10 s when longer", () => {
    expect(minimumAudioSeconds({}, config)).toBe(10);
    expect(minimumAudioSeconds({ transcript_segments: [{ start: 0, end: 15 }] }, config)).toBe(10);
    expect(
      minimumAudioSeconds(
        {
          transcript_segments: [
            { start: 5, end: 8 },
            { start: 60, end: 75 },
          ],
        },
        config,
      ),
    ).toBe(60);
  });
  it("ignores malformed segments", () => {
    expect(
      transcriptSpanSeconds([
        { start: Number.NaN, end: 4 },
        { start: 1, end: 3 },
      ]),
    ).toBe(3);
    expect(transcriptSpanSeconds(undefined)).toBe(0);
  });
});
