import { describe, expect, it } from "vitest";
import {
  applyFit,
  FIT_WINDOW_S,
  fitWindows,
  judgeFit,
  MAX_FIT_WINDOWS,
  MIN_FIT_WINDOWS,
} from "../../../src/speaker/clusterFit.js";
import type { SpeakerDecision } from "../../../src/speaker/matching.js";
import { cosineSimilarity } from "../../../src/speaker/similarity.js";

const seg = (speaker: string, start: number, end: number) => ({ speaker, start, end });

describe("fitWindows", () => {
  it("cuts only the named speakers' segments into windows, in time order, keeping a remainder of at least 1 s", () => {
    const ranges = fitWindows([seg("A", 0, 5), seg("B", 5, 9), seg("A", 9, 10.5), seg("A", 11, 11.8)], new Set(["A"]));
    expect(ranges.map((r) => [r.start, r.end])).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
      [9, 10.5],
    ]);
    expect(ranges.every((r) => r.key.speaker === "A" && r.key.start === r.start)).toBe(true);
  });

  it("keeps at most MAX_FIT_WINDOWS per speaker, spread over the whole recording", () => {
    const long = seg("A", 0, FIT_WINDOW_S * MAX_FIT_WINDOWS * 3);
    const ranges = fitWindows([long, seg("B", 0, 4)], new Set(["A", "B"]));
    const a = ranges.filter((r) => r.key.speaker === "A");
    expect(a).toHaveLength(MAX_FIT_WINDOWS);
    expect(a[0].start).toBe(0);
    expect(a.at(-1)!.start).toBeGreaterThan(long.end * 0.9);
    expect(ranges.filter((r) => r.key.speaker === "B")).toHaveLength(2);
    expect(ranges.map((r) => r.start)).toEqual([...ranges.map((r) => r.start)].sort((x, y) => x - y));
  });
});

describe("judgeFit", () => {
  // Embeddings on a circle, compared by cosine: a window at `deg` degrees scores cos(deg) against the profile at 0°.
  const profile = Float32Array.of(1, 0);
  const at = (deg: number) => Float32Array.of(Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180));
  const scoring = { score: cosineSimilarity, threshold: 0.75, margin: 0.1 };
  const windows = (degrees: number[], seconds = 2) =>
    degrees.map((deg, i) => ({
      start: i * seconds,
      seconds,
      embedding: at(deg),
      score: cosineSimilarity(at(deg), profile),
    }));

  it("one voice whose short windows scatter widely still fits: each half, pooled, is the voice", () => {
    // Scores from 0.34 to 1: one window says little, but the low half pooled points at the profile again.
    const fit = judgeFit(windows([0, 10, -10, 20, -20, 35, -35, 50, -50, 70, -70]), profile, scoring);
    expect(fit.poor).toBe(false);
    expect(fit.high! - fit.low!).toBeLessThan(scoring.margin);
    expect(fit.lowShare).toBeGreaterThan(0.1);
  });

  it("a second voice merged in is a poor fit: its windows, pooled, sit the margin below the speaker's own", () => {
    const fit = judgeFit(windows([0, 5, -5, 8, -8, 3, 60, 62, 58]), profile, scoring);
    expect(fit.poor).toBe(true);
    expect(fit.lowShare).toBeCloseTo(3 / 9, 5);
    expect(fit.low).toBeCloseTo(0.5, 2);
    expect(fit.high).toBeGreaterThan(0.99);
  });

  it("reads the gap on the model's own scale: the same windows fit under a wider margin", () => {
    const merged = windows([0, 5, -5, 8, -8, 3, 60, 62, 58]);
    expect(judgeFit(merged, profile, { ...scoring, margin: 0.6 }).poor).toBe(false);
  });

  it("a low half between one and two margins down is another voice only when it would not be named on its own", () => {
    // The low half pools at 30°: 0.87, 0.13 below the high half; above a threshold of 0.75, below one of 0.9.
    const near = windows([0, 2, -2, 3, -3, 1, 30, 30, 30]);
    expect(judgeFit(near, profile, scoring).poor).toBe(false);
    expect(judgeFit(near, profile, { ...scoring, threshold: 0.9 }).poor).toBe(true);
  });

  it("weighs windows by their length: one short stray window is no second voice", () => {
    const stray = [...windows([0, 5, -5, 8, -8, 3, 2, -2, 4]), ...windows([70], 1)];
    expect(judgeFit(stray, profile, scoring).poor).toBe(false);
    expect(judgeFit([...stray, ...windows([68, 72])], profile, scoring).poor).toBe(true);
    // Two long low windows are more than a tenth of the time, but two windows pooled still scatter: not judged a voice.
    expect(judgeFit([...windows([0, 5, -5, 8]), ...windows([70, 68], 3)], profile, scoring).poor).toBe(false);
  });

  it("with fewer than MIN_FIT_WINDOWS windows nothing is judged", () => {
    const few = judgeFit(
      windows(Array.from({ length: MIN_FIT_WINDOWS - 1 }, (_, i) => (i ? 0 : 80))),
      profile,
      scoring,
    );
    expect(few).toEqual({ windows: MIN_FIT_WINDOWS - 1, high: null, low: null, lowShare: 0, poor: false });
  });
});

describe("applyFit", () => {
  const decision = (status: SpeakerDecision["status"], profileId: string | null): SpeakerDecision => ({
    status,
    profileId,
    nearest: profileId ?? "user",
    similarity: 0.9,
    runnerUp: null,
    speechSeconds: 20,
  });

  it("names nobody (ambiguous) a poorly fitting speaker, keeping its nearest profile; the others unchanged", () => {
    const decisions = new Map([
      ["A", decision("user", "user")],
      ["B", decision("person", "p1")],
      ["C", decision("unknown", null)],
    ]);
    const fits = new Map([
      ["A", { windows: 8, high: 0.9, low: 0.6, lowShare: 0.4, poor: true }],
      ["B", { windows: 8, high: 0.9, low: 0.88, lowShare: 0.3, poor: false }],
    ]);
    const out = applyFit(decisions, fits);
    expect(out.get("A")).toEqual({ ...decision("user", "user"), status: "ambiguous", profileId: null });
    expect(out.get("B")).toEqual(decisions.get("B"));
    expect(out.get("C")).toEqual(decisions.get("C"));
    expect(decisions.get("A")!.status).toBe("user");
  });
});
