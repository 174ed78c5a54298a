/** The README's stage list is the pipeline table (pipeline/definition.ts), rendered. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PIPELINE, type StageDefinition } from "../../src/pipeline/definition.js";

const README = new URL("../../../README.md", import.meta.url);

function row(s: StageDefinition, i: number): string {
  const trigger =
    s.trigger.kind === "storage" ? "storage finalize (post-processing bucket)" : `Pub/Sub \`${s.trigger.topic}\``;
  const then = s.next.length ? s.next.map((n) => `\`${n}\``).join(", ") : "—";
  const required = s.required ? "yes" : s.includedIn ? "no (only with `emotional_feedback`)" : "no";
  const phases = `\`${s.phases.waiting}\` → \`${s.phases.running}\``;
  return `| ${i + 1} | \`${s.name}\` | ${trigger} | ${phases} | ${then} | ${required} |`;
}

/** A Markdown table as rows of trimmed cells, so column padding (Prettier aligns tables) does not matter. */
const cells = (table: string) =>
  table
    .trim()
    .split("\n")
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, "")
        .split("|")
        .map((c) => c.trim().replace(/^-+$/, "---")),
    );

describe("README", () => {
  it("lists the stages exactly as the pipeline table declares them", () => {
    const text = readFileSync(README, "utf8");
    const section = /<!-- pipeline-stages:start -->\n([\s\S]*?)\n<!-- pipeline-stages:end -->/.exec(text)?.[1];
    const expected = [
      "| # | stage | trigger | phases (waiting → running) | then | required |",
      "| --- | --- | --- | --- | --- | --- |",
      ...PIPELINE.map(row),
    ].join("\n");
    expect(section, "the README has the stage table between its markers").toBeDefined();
    expect(cells(section!), "regenerate the README's stage table from pipeline/definition.ts").toEqual(cells(expected));
  });
});
