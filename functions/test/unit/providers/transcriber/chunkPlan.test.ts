/** providers/transcriber/chunkPlan.ts: where a long recording is cut for one-chunk-per-invocation transcription. */
import { describe, expect, it } from "vitest";
import { planChunks } from "../../../../src/providers/transcriber/chunkPlan.js";

describe("planChunks", () => {
  it("keeps a recording that fits in one chunk whole", () => {
    expect(planChunks(25, [{ start: 1, end: 20 }], 30)).toEqual([0, 25]);
    expect(planChunks(30, [], 30)).toEqual([0, 30]);
  });

  it("cuts in the middle of the longest silence in the second half of each chunk", () => {
    const speech = [
      { start: 0, end: 16 },
      { start: 17, end: 22 }, // 1 s gap at 16.5
      { start: 25, end: 28 }, // 3 s gap at 23.5: the longest in (15, 30)
      { start: 28.5, end: 50 },
    ];
    expect(planChunks(50, speech, 30)).toEqual([0, 23.5, 50]);
  });

  it("ignores silences in a chunk's first half, and cuts at the limit when there is no silence", () => {
    const speech = [
      { start: 0, end: 5 },
      { start: 10, end: 100 }, // the only gap is at 7.5, in the first half
    ];
    expect(planChunks(100, speech, 30)).toEqual([0, 30, 60, 90, 100]);
  });

  it("never makes a chunk longer than the limit", () => {
    const speech = Array.from({ length: 60 }, (_, i) => ({ start: i * 10, end: i * 10 + 8 }));
    const boundaries = planChunks(600, speech, 45);
    for (let i = 1; i < boundaries.length; i++) expect(boundaries[i] - boundaries[i - 1]).toBeLessThanOrEqual(45);
    expect(boundaries[0]).toBe(0);
    expect(boundaries.at(-1)).toBe(600);
    // Every cut lies in a pause, never inside speech.
    for (const cut of boundaries.slice(1, -1)) expect(speech.some((s) => cut > s.start && cut < s.end)).toBe(false);
  });
});
