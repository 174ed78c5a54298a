/**
 * The README's stage list is the pipeline table (pipeline/definition.ts), rendered; its tables are whole; every
 * command it lists resolves (scripts/check-readme.mjs --resolve; `npm run check:readme` also runs them).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
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

  it("has no table split in two by a blank line (each run of table lines starts with a header and a separator)", () => {
    const lines = readFileSync(README, "utf8").split("\n");
    const broken = lines
      .map((line, i) => ({ line, i }))
      .filter(({ line, i }) => line.startsWith("|") && !lines[i - 1]?.startsWith("|"))
      .filter(({ i }) => !/^\|(\s*:?-{3,}:?\s*\|)+\s*$/.test(lines[i + 1] ?? ""))
      .map(({ line, i }) => `README:${i + 1}: ${line.slice(0, 60)}`);
    expect(broken, "a table whose first row is not followed by a | --- | separator").toEqual([]);
  });

  it("lists only commands that resolve: npm scripts, files, local tools (scripts/check-readme.mjs --resolve)", () => {
    const script = fileURLToPath(new URL("../../../scripts/check-readme.mjs", import.meta.url));
    let output: string;
    try {
      output = execFileSync(process.execPath, [script, "--resolve"], { encoding: "utf8", stdio: "pipe" });
    } catch (error) {
      const { stdout, stderr } = error as { stdout: string; stderr: string };
      throw new Error(`${stdout}${stderr}`, { cause: error });
    }
    expect(output).toMatch(/all \d+ README commands resolve/);
  });
});
