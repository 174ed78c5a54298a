/** providers/extractor/local.ts: the offline, extractive structure of a memory. */
import { describe, expect, it } from "vitest";
import { structuredSchema } from "../../../../src/model/structured.js";
import {
  actionItems,
  categorize,
  events,
  extractStructure,
  LocalExtractor,
} from "../../../../src/providers/extractor/local.js";
import { sentencesOf } from "../../../../src/transcript/keyPhrases.js";

// Wednesday 25 November 2026, 14:00 UTC.
const startedAt = new Date("2026-11-25T14:00:00Z");
const line = (speaker: string, text: string, start = 0) => ({ speaker, text, start });

const planning = [
  line("Alice", "I think we should start the mobile release project next week if the budget is approved.", 0),
  line("Bob", "That sounds reasonable, but we need to check the release budget with the design team first.", 6),
  line("Alice", "Can you send me the numbers from the customer survey by Thursday?", 12),
  line("Bob", "Sure, I will put them in a short report with the most important findings.", 17),
  line("Alice", "Let's have a review meeting on Friday at 3pm to go through the report.", 23),
  line("Bob", "The last mobile release had crash reports from older phones.", 29),
];

describe("LocalExtractor", () => {
  it("extracts a valid structure that says which extractor made it", async () => {
    const result = await new LocalExtractor().extract({
      lines: planning,
      language: "en",
      startedAt,
      userName: "Alice",
    });
    expect(result.modelId).toBe("local:extractive-v1");
    expect(result.calls).toEqual([]);
    expect(structuredSchema.parse(result.structured)).toEqual(result.structured);
  });

  it("titles the conversation with its salient key phrases and summarises it with its own sentences", () => {
    const s = extractStructure({ lines: planning, language: "en", startedAt, userName: "Alice" });
    expect(s.title.toLowerCase()).toMatch(/release|budget|report|survey/);
    expect(s.title.length).toBeLessThanOrEqual(60);
    expect(s.overview).toMatch(/^Alice and Bob talked about /);
    // Every quoted sentence is from the transcript.
    const quoted = s.overview
      .replace(/^[^.]*\.\s*/, "")
      .split(/(?<=\.)\s+/)
      .filter(Boolean);
    expect(quoted.length).toBeGreaterThan(0);
    for (const q of quoted)
      expect(planning.some((l) => l.text.toLowerCase().includes(q.replace(/\.$/, "").toLowerCase()))).toBe(true);
    expect(["work", "business", "technology"]).toContain(s.category);
    expect(s.emoji).not.toBe("");
  });
});

describe("actionItems", () => {
  it("finds commitments, requests and suggestions, attributed to who made them", () => {
    const items = actionItems(sentencesOf(planning), "Alice").map((i) => i.description);
    expect(items).toContain("Bob will put them in a short report with the most important findings");
    expect(items).toContain("Follow up: asked to send me the numbers from the customer survey by Thursday");
    expect(items).toContain("Have a review meeting on Friday at 3pm to go through the report");
    expect(items.some((i) => /reasonable|crash reports/.test(i))).toBe(false);
  });
  it("turns the user's own commitments and others' requests into plain tasks", () => {
    const lines = [
      line("Me", "Okay so I'll call the dentist tomorrow morning."),
      line("Sam", "Could you please water the plants while I'm away?"),
      line("Sam", "Don't forget to pay the electricity bill."),
      line("Sam", "The weather was nice."),
    ];
    expect(actionItems(sentencesOf(lines), "Me")).toEqual([
      { description: "Call the dentist tomorrow morning", completed: false },
      { description: "Water the plants while I'm away", completed: false },
      { description: "Pay the electricity bill", completed: false },
    ]);
  });
});

describe("events", () => {
  it("resolves dates and times of scheduled things against when the conversation started", () => {
    const found = events(sentencesOf(planning), startedAt);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ start: "2026-11-27T15:00:00.000Z", duration: 30, created: false });
    expect(found[0].title.toLowerCase()).toContain("review meeting");
    expect(found[0].description).toContain("Friday at 3pm");
  });
  it("uses an explicit end for the duration, and ignores dates that are not about a scheduled thing", () => {
    const lines = [
      line("A", "The workshop is on December 3 from 10am to 12pm."),
      line("B", "I was born on March 3, 1990."),
      line("A", "Thursday was a long day."),
    ];
    const found = events(sentencesOf(lines), startedAt);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ start: "2026-12-03T10:00:00.000Z", duration: 120 });
  });
});

describe("categorize", () => {
  it("picks the category whose words come up, else other", () => {
    expect(categorize("The doctor said my sleep and diet matter more than the medicine.")).toBe("health");
    expect(categorize("We booked the flight and the hotel for the trip.")).toBe("travel");
    expect(categorize("Nice to see you.")).toBe("other");
  });
});

describe("a poor offline transcript", () => {
  it("still gets a title and an overview drawn from it", () => {
    const lines = [
      line(
        "Speaker 1",
        "and so my fellow americans ask not what your country can do for you ask what you can do for your country",
      ),
    ];
    const s = extractStructure({ lines, language: "en", startedAt, userName: "User" });
    expect(s.title.length).toBeGreaterThan(3);
    const words = new Set(lines[0].text.split(" "));
    expect(
      s.title
        .toLowerCase()
        .split(/\s+/)
        .filter((w) => w !== "and")
        .every((w) => words.has(w)),
    ).toBe(true);
    expect(s.overview).toContain("Speaker 1 talked about");
    expect(s.category).toBe("politics");
  });
});
