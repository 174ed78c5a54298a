/** stages/emotion.ts (pure part): the summary kept on the memory and the notification decision. */
import { describe, expect, it } from "vitest";
import { notificationFor, summarize } from "../../../src/stages/emotion.js";

const now = new Date("2026-11-30T12:00:00Z");
const m = (name: string, score: number, start: number, end: number) => ({ name, score, start, end });

describe("summarize", () => {
  it("weighs each measurement by its duration, ranks emotions, and keeps where they peaked", () => {
    const s = summarize(
      [m("Joy", 0.9, 0, 1), m("Joy", 0.3, 1, 4), m("Sadness", 0.5, 0, 4), m("Anger", 0.1, 0, 4), m("Awe", 0.05, 0, 4)],
      "model-x",
      4,
      now,
    );
    expect(s.model).toBe("model-x");
    expect(s.top.map((e) => e.name)).toEqual(["Sadness", "Joy", "Anger"]); // Joy: (0.9·1 + 0.3·3) / 4 = 0.45
    expect(s.top[1]).toEqual({
      name: "Joy",
      score: 0.45,
      peaks: [
        { start: 0, end: 1, score: 0.9 },
        { start: 1, end: 4, score: 0.3 },
      ],
    });
    expect(s).toMatchObject({ analyzed_seconds: 4, created_at: now.toISOString() });
  });
  it("is empty for no measurements", () => {
    expect(summarize([], "x", 0, now).top).toEqual([]);
  });
});

describe("notificationFor", () => {
  const summary = (name: string, score: number) => ({
    model: "x",
    top: [{ name, score, peaks: [] }],
    analyzed_seconds: 1,
    created_at: "",
  });
  it("notifies only above the threshold, with a kind template and the memory in the data", () => {
    expect(notificationFor(summary("Joy", 0.5), 0.5, "mem")).toBeNull();
    expect(notificationFor(summary("Joy", 0.51), 0.5, "mem")).toMatchObject({
      title: "A bright moment",
      emotion: "Joy",
      data: { type: "emotion", memory_id: "mem" },
    });
    expect(notificationFor(summary("Anxiety", 0.9), 0.5, "mem")!.title).toBe("Take a breath");
    expect(notificationFor(summary("Distress", 0.9), 0.5, "mem")!.title).toBe("Thinking of you");
    expect(notificationFor(summary("Awe", 0.9), 0.5, "mem")!.body).toBe(
      "Your last conversation had a lot of awe in it.",
    );
    expect(notificationFor({ ...summary("Joy", 1), top: [] }, 0.5, "mem")).toBeNull();
  });
  it("never notifies about neutrality, but about the strongest real emotion behind it", () => {
    expect(notificationFor(summary("Neutral", 0.95), 0.5, "mem")).toBeNull();
    const mixed = { ...summary("Neutral", 0.9), top: [...summary("Neutral", 0.9).top, ...summary("Joy", 0.7).top] };
    expect(notificationFor(mixed, 0.5, "mem")).toMatchObject({ emotion: "Joy", score: 0.7 });
    expect(notificationFor({ ...mixed, top: [mixed.top[0], { ...mixed.top[1], score: 0.4 }] }, 0.5, "mem")).toBeNull();
  });
});
