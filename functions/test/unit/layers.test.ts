/**
 * The layer rule (docs/architecture.md "Code layout"): imports point one way,
 * triggers → http / stages / scheduled → pipeline / store / providers → audio / speaker / transcript → model / config /
 * logs / errors. A module may import from its own layer or below, and the folders' import graph has no cycle.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

const LAYERS: Record<string, number> = {
  "index.ts": 0,
  triggers: 0,
  http: 1,
  stages: 1,
  scheduled: 1,
  pipeline: 2,
  store: 2,
  providers: 2,
  audio: 3,
  speaker: 3,
  transcript: 3,
  model: 4,
  "config.ts": 4,
  "logs.ts": 4,
  "errors.ts": 4,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** The top-level folder (or root file) a source file belongs to. */
const unitOf = (file: string) => relative(SRC, file).split("/")[0];

/** Relative imports (static, dynamic and type-only) of a file, resolved to source paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]);
  return specifiers.map((s) => resolve(dirname(file), s.replace(/\.js$/, ".ts")));
}

const files = sourceFiles(SRC);
const edges = files.flatMap((file) => importsOf(file).map((target) => ({ file, target })));

describe("layers", () => {
  it("knows every top-level folder and file", () => {
    const units = [...new Set(files.map(unitOf))];
    expect(units.filter((u) => !(u in LAYERS))).toEqual([]);
  });

  it("has no import that runs upward", () => {
    const upward = edges
      .filter(({ file, target }) => LAYERS[unitOf(target)] < LAYERS[unitOf(file)])
      .map(({ file, target }) => `${relative(SRC, file)} → ${relative(SRC, target)}`);
    expect(upward).toEqual([]);
  });

  it("has no cycle between folders", () => {
    const graph = new Map<string, Set<string>>();
    for (const { file, target } of edges) {
      const [from, to] = [unitOf(file), unitOf(target)];
      if (from !== to) graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
    const cycles: string[] = [];
    const visit = (node: string, path: string[]) => {
      if (path.includes(node)) return void cycles.push([...path.slice(path.indexOf(node)), node].join(" → "));
      for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });

  it("catches an upward import (the check can fail)", () => {
    const fake = { file: join(SRC, "model/job.ts"), target: join(SRC, "stages/segment.ts") };
    expect(LAYERS[unitOf(fake.target)] < LAYERS[unitOf(fake.file)]).toBe(true);
  });
});
