/** model/fairUse.ts: the caps' decisions, when a refused job fits again, and the re-run limit. */
import { describe, expect, it } from "vitest";
import { fairUseDecision, liveEntries, rerunDecision, usageView, type UsageEntry } from "../../../src/model/fairUse.js";

const now = new Date("2026-12-02T12:00:00Z");
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();
const entry = (seconds: number, h: number): UsageEntry => ({
  seconds,
  at: hoursAgo(h),
  memory_id: "m",
  kind: "upload",
  exact: true,
});
const caps = { day: 7200, "3_days": 28800, week: 36000 };

describe("fairUseDecision", () => {
  it("accepts what fits every window, exactly up to the cap", () => {
    expect(fairUseDecision([entry(7000, 1)], now, 200, caps)).toEqual({ allowed: true });
    expect(fairUseDecision([entry(7000, 1)], now, 201, caps)).toMatchObject({ allowed: false, window: "day" });
  });
  it("says which window refuses and when enough of it has aged out", () => {
    const refused = fairUseDecision([entry(4000, 20), entry(3000, 2)], now, 600, caps);
    // 400 s over: the 4000 s job leaves the day's window 24 h after it, 4 h from now.
    expect(refused).toEqual({
      allowed: false,
      window: "day",
      limitSeconds: 7200,
      usedSeconds: 7000,
      requestedSeconds: 600,
      freesAt: new Date(now.getTime() + 4 * 3_600_000).toISOString(),
    });
    const week = fairUseDecision([entry(9000, 100), entry(7000, 50), entry(7000, 30)], now, 600, {
      ...caps,
      "3_days": 0,
      week: 23000,
    });
    expect(week).toMatchObject({ allowed: false, window: "week", usedSeconds: 23000 });
  });
  it("takes one recording longer than a window's cap when nothing else counts in it, not otherwise", () => {
    expect(fairUseDecision([], now, 3 * 3600, caps)).toEqual({ allowed: true });
    expect(fairUseDecision([entry(60, 30)], now, 3 * 3600, caps)).toEqual({ allowed: true });
    expect(fairUseDecision([entry(60, 2)], now, 3 * 3600, caps)).toMatchObject({ allowed: false, window: "day" });
  });
  it("ignores a cap of 0", () => {
    expect(fairUseDecision([entry(50_000, 1)], now, 50_000, { day: 0, "3_days": 0, week: 0 })).toEqual({
      allowed: true,
    });
  });
});

describe("usageView and liveEntries", () => {
  it("counts each window on its own and drops entries older than a week", () => {
    const entries = { a: entry(100, 1), b: entry(200, 30), c: entry(400, 100), old: entry(800, 200) };
    expect(Object.keys(liveEntries(entries, now)).sort()).toEqual(["a", "b", "c"]);
    const view = usageView(Object.values(liveEntries(entries, now)), now, caps);
    expect(view.map((w) => [w.window, w.used_seconds, w.remaining_seconds])).toEqual([
      ["day", 100, 7100],
      ["3_days", 300, 28500],
      ["week", 700, 35300],
    ]);
    expect(view[0].next_release_at).toBe(new Date(now.getTime() + 23 * 3_600_000).toISOString());
  });
});

describe("rerunDecision", () => {
  it("allows perHour re-runs in any hour and says when the next one may start", () => {
    expect(rerunDecision([hoursAgo(0.5), hoursAgo(0.2)], now, 3)).toEqual({ allowed: true });
    expect(rerunDecision([hoursAgo(2), hoursAgo(0.5), hoursAgo(0.4), hoursAgo(0.1)], now, 3)).toEqual({
      allowed: false,
      freesAt: new Date(now.getTime() + 0.5 * 3_600_000).toISOString(),
    });
    expect(rerunDecision([hoursAgo(0.1), hoursAgo(0.1), hoursAgo(0.1)], now, 0)).toEqual({ allowed: true });
  });
});
