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
  const summary = (...entries: [string, number][]) => ({
    model: "x",
    top: entries.map(([name, score]) => ({ name, score, peaks: [] })),
    analyzed_seconds: 1,
    created_at: "",
  });
  it("notifies only above the threshold, with a kind template and the memory in the data", () => {
    expect(notificationFor(summary(["joy", 0.5]), 0.5, "mem")).toBeNull();
    expect(notificationFor(summary(["joy", 0.51]), 0.5, "mem")).toMatchObject({
      title: "A bright moment",
      emotion: "joy",
      data: { type: "emotion", memory_id: "mem" },
    });
    expect(notificationFor(summary(["anxiety", 0.9]), 0.5, "mem")!.title).toBe("Take a breath");
    expect(notificationFor(summary(["distress", 0.9]), 0.5, "mem")!.title).toBe("Thinking of you");
    expect(notificationFor(summary(), 0.5, "mem")).toBeNull();
  });
  it("maps Hume's documented lowercase names, spaces and punctuation included, whatever their case", () => {
    expect(notificationFor(summary(["aesthetic appreciation", 0.9]), 0.5, "m")!.title).toBe("A calm conversation");
    expect(notificationFor(summary(["surprise (positive)", 0.9]), 0.5, "m")!.title).toBe("A bright moment");
    expect(notificationFor(summary(["surprise (negative)", 0.9]), 0.5, "m")!.title).toBe("Take a breath");
    expect(notificationFor(summary(["feeling upset", 0.9]), 0.5, "m")!.title).toBe("Thinking of you");
    expect(notificationFor(summary(["Joy", 0.9]), 0.5, "m")!.title).toBe("A bright moment");
  });
  it("never notifies about neutrality or a name it does not know, but about the strongest known emotion behind", () => {
    expect(notificationFor(summary(["neutral", 0.95]), 0.5, "mem")).toBeNull();
    // A name Hume added after our table: kept in the summary, never the reason for a push.
    expect(notificationFor(summary(["dumbfoundedness", 0.95]), 0.5, "mem")).toBeNull();
    const mixed = summary(["neutral", 0.9], ["dumbfoundedness", 0.8], ["joy", 0.7]);
    expect(notificationFor(mixed, 0.5, "mem")).toMatchObject({ emotion: "joy", score: 0.7 });
    expect(notificationFor(summary(["neutral", 0.9], ["joy", 0.4]), 0.5, "mem")).toBeNull();
  });
});
