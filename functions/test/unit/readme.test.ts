/**
 * The README and docs/*.md stay true. The stage list in docs/architecture.md "Pipeline stages" is the pipeline table
 * (pipeline/definition.ts), rendered; no table is split in two; and scripts/check-readme.mjs --resolve finds that every
 * command they show resolves, every router route is documented (and every documented route exists), every param of
 * config.ts is in docs/configuration.md, every heading a code comment cites exists and every relative link resolves.
 * (`npm run check:readme` also runs the commands.)
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PIPELINE, type StageDefinition } from "../../src/pipeline/definition.js";
import { renderStageTable, replaceStageTable } from "../../src/pipeline/stageTable.js";

const ROOT = new URL("../../../", import.meta.url);
const ARCHITECTURE = new URL("docs/architecture.md", ROOT);
/** The README, then docs/*.md. */
const DOC_FILES = [
  "README.md",
  ...readdirSync(new URL("docs/", ROOT))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];

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

/** The output of `check-readme.mjs --resolve`, run once; its failure (exit 1) is thrown with everything it printed. */
let checkOutput: string | undefined;
function checkReadme(): string {
  if (checkOutput !== undefined) return checkOutput;
  const script = fileURLToPath(new URL("scripts/check-readme.mjs", ROOT));
  try {
    checkOutput = execFileSync(process.execPath, [script, "--resolve"], { encoding: "utf8", stdio: "pipe" });
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    throw new Error(`${stdout}${stderr}`, { cause: error });
  }
  return checkOutput;
}

describe("README and docs", () => {
  it("list the stages exactly as the pipeline table declares them (docs/architecture.md)", () => {
    const text = readFileSync(ARCHITECTURE, "utf8");
    const section = /<!-- pipeline-stages:start -->\n([\s\S]*?)\n<!-- pipeline-stages:end -->/.exec(text)?.[1];
    const expected = renderStageTable();
    expect(section, "docs/architecture.md has the stage table between its markers").toBeDefined();
    expect(cells(section!), "regenerate it: npm run gen:stages").toEqual(cells(expected));
  });

  it("get the stage table from the generator, which renders every stage of a table, markers kept", () => {
    const extra: StageDefinition = { ...PIPELINE.at(-1)!, name: "language" as StageDefinition["name"], next: [] };
    const table = renderStageTable([...PIPELINE, extra]);
    expect(table.split("\n")).toHaveLength(PIPELINE.length + 3);
    expect(table).toContain("| `language` |");
    const page = "intro\n<!-- pipeline-stages:start -->\nold\n<!-- pipeline-stages:end -->\nrest";
    expect(replaceStageTable(page, table)).toBe(
      `intro\n<!-- pipeline-stages:start -->\n${table}\n<!-- pipeline-stages:end -->\nrest`,
    );
    expect(() => replaceStageTable("no markers", table)).toThrow(/markers/);
  });

  it("have no table split by a blank line (each run of table lines starts with a header and a separator)", () => {
    const broken = DOC_FILES.flatMap((file) => {
      const lines = readFileSync(new URL(file, ROOT), "utf8").split("\n");
      return lines
        .map((line, i) => ({ line, i }))
        .filter(({ line, i }) => line.startsWith("|") && !lines[i - 1]?.startsWith("|"))
        .filter(({ i }) => !/^\|(\s*:?-{3,}:?\s*\|)+\s*$/.test(lines[i + 1] ?? ""))
        .map(({ line, i }) => `${file}:${i + 1}: ${line.slice(0, 60)}`);
    });
    expect(broken, "a table whose first row is not followed by a | --- | separator").toEqual([]);
  });

  it("show only commands that resolve: npm scripts, files, local tools", () => {
    expect(checkReadme()).toMatch(/all \d+ commands of the README and docs\/\*\.md resolve/);
  });

  it("document every route of the router in docs/api.md and the README, and no other", () => {
    expect(checkReadme()).toMatch(/✔ \d+ routes of functions\/src\/http\/app\.ts documented/);
  });

  it("list every param and secret of config.ts in docs/configuration.md", () => {
    expect(checkReadme()).toMatch(/✔ \d+ params and secrets of functions\/src\/config\.ts/);
  });

  it("have every heading that code comments cite", () => {
    expect(checkReadme()).toMatch(/✔ \d+ headings cited by code comments exist/);
  });

  it("link only to files and headings that exist", () => {
    expect(checkReadme()).toMatch(/✔ \d+ relative links of the README and docs\/\*\.md resolve/);
  });
});
