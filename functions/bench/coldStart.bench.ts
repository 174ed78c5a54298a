/**
 * `npm run bench` (cold starts): for every deployed function, the time and memory to import what that function loads
 * on a cold start (the entry point, which every function loads, plus the modules its trigger imports on its first
 * call), as a ratio to importing the bare Firebase SDK modules every function needs. Each figure is the median of
 * fresh Node processes, alternating between the baseline and the function, all in one run. Writes
 * bench-results/cold-start.json. Figures only; nothing here asserts on time.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { writeBenchFigure } from "../test/support/benchFigures.js";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { it } from "vitest";

const FUNCTIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = 7;
/** Files in triggers/ that are shared wiring, not deployed functions. */
const TRIGGER_HELPERS = new Set(["onStageMessage.ts", "scheduledAt.ts"]);
/** Functions whose work runs an ML model (VAD, speaker embeddings); the goal of ≤ 1.2× is for the others. */
const RUNS_A_MODEL = new Set(["transcribe", "identify"]);

/**
 * The bare Firebase SDK a function here needs: the trigger APIs and params, the Admin SDK's app, Firestore and Auth,
 * and Storage (firebase-admin/storage is a thin wrapper that loads @google-cloud/storage on first use; we use that
 * client directly, so it is part of the baseline).
 */
const BASELINE = [
  "firebase-functions",
  "firebase-functions/params",
  "firebase-functions/v2/https",
  "firebase-functions/v2/pubsub",
  "firebase-functions/v2/storage",
  "firebase-functions/v2/scheduler",
  "firebase-admin/app",
  "firebase-admin/firestore",
  "firebase-admin/auth",
  "@google-cloud/storage",
];
/**
 * HTTPS functions are served by the Functions Framework (and, in the emulator, firebase-tools' runtime), which load
 * express to serve every request whether or not the function imports it; their baseline includes it.
 */
const HTTPS_BASELINE = [...BASELINE, "express"];

/** Deployed functions, whether they serve HTTPS, and the modules each trigger loads inside its handler. */
function deployedFunctions(): { name: string; https: boolean; modules: string[] }[] {
  const triggers = join(FUNCTIONS_DIR, "src/triggers");
  const index = readFileSync(join(FUNCTIONS_DIR, "src/index.ts"), "utf8");
  const names = [...index.matchAll(/export \{ (\w+) \} from "\.\/triggers\/(\w+)\.js"/g)].map((m) => [m[1], m[2]]);
  return names.map(([name, file]) => {
    const source = readFileSync(join(triggers, `${file}.ts`), "utf8");
    const modules = [...source.matchAll(/import\("\.\.\/([^"]+)\.js"\)/g)].map((m) =>
      join(FUNCTIONS_DIR, "lib", `${m[1]}.js`),
    );
    return { name, https: source.includes("onRequest("), modules };
  });
}

/** Imports `specifiers` in a fresh process; returns the import time and the process's memory afterwards. */
function measure(specifiers: string[]): { ms: number; rssMiB: number; heapMiB: number } {
  const script = `
    const start = performance.now();
    for (const s of ${JSON.stringify(specifiers)}) await import(s);
    const ms = performance.now() - start;
    global.gc?.();
    const m = process.memoryUsage();
    console.log(JSON.stringify({ ms, rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20 }));
  `;
  const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], {
    cwd: FUNCTIONS_DIR,
    env: { ...process.env, NODE_OPTIONS: "" },
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").at(-1)!) as { ms: number; rssMiB: number; heapMiB: number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

it("cold import of each deployed function vs the bare Firebase SDK", { timeout: 600_000 }, async () => {
  if (!existsSync(join(FUNCTIONS_DIR, "lib/index.js")))
    throw new Error("functions/lib is missing: npm run build first");
  const entry = pathToFileURL(join(FUNCTIONS_DIR, "lib/index.js")).href;
  const functions = deployedFunctions();
  const baselines = {
    plain: { ms: [] as number[], rss: [] as number[], heap: [] as number[] },
    https: { ms: [] as number[], rss: [] as number[], heap: [] as number[] },
  };
  const perFunction = new Map(
    functions.map((f) => [f.name, { ms: [] as number[], rss: [] as number[], heap: [] as number[] }]),
  );
  for (let run = 0; run < RUNS; run++) {
    for (const f of functions) {
      const baseline = baselines[f.https ? "https" : "plain"];
      const b = measure(f.https ? HTTPS_BASELINE : BASELINE);
      baseline.ms.push(b.ms);
      baseline.rss.push(b.rssMiB);
      baseline.heap.push(b.heapMiB);
      const m = measure([entry, ...f.modules.map((p) => pathToFileURL(p).href)]);
      const figures = perFunction.get(f.name)!;
      figures.ms.push(m.ms);
      figures.rss.push(m.rssMiB);
      figures.heap.push(m.heapMiB);
    }
  }
  const summary = (b: { ms: number[]; rss: number[]; heap: number[] }) => ({
    medianMs: median(b.ms),
    rssMiB: median(b.rss),
    heapMiB: median(b.heap),
  });
  const bases = { plain: summary(baselines.plain), https: summary(baselines.https) };
  const result = {
    what: "time and memory to import what each deployed function loads on a cold start, vs the bare Firebase SDK",
    runsPerFunctionFigure: RUNS,
    node: process.version,
    baselines: Object.fromEntries(
      (["plain", "https"] as const).map((kind) => [
        kind,
        {
          modules: kind === "https" ? HTTPS_BASELINE : BASELINE,
          importMedianMs: round(bases[kind].medianMs, 1),
          rssMiB: round(bases[kind].rssMiB, 1),
          heapMiB: round(bases[kind].heapMiB, 1),
        },
      ]),
    ),
    functions: Object.fromEntries(
      functions.map((f) => {
        const figures = perFunction.get(f.name)!;
        const ms = median(figures.ms);
        const rss = median(figures.rss);
        const heap = median(figures.heap);
        const base = bases[f.https ? "https" : "plain"];
        return [
          f.name,
          {
            baseline: f.https ? "https" : "plain",
            loads: ["lib/index.js", ...f.modules.map((p) => p.slice(FUNCTIONS_DIR.length + 1))],
            runsAModel: RUNS_A_MODEL.has(f.name),
            importMedianMs: round(ms, 1),
            importTimeRatio: round(ms / base.medianMs),
            rssMiB: round(rss, 1),
            rssRatio: round(rss / base.rssMiB),
            rssOverBaselineMiB: round(rss - base.rssMiB, 1),
            heapMiB: round(heap, 1),
          },
        ];
      }),
    ),
    goal: "importTimeRatio and rssRatio ≤ 1.2 for every function with runsAModel false",
  };
  console.log(JSON.stringify(result, null, 2));
  await writeBenchFigure("cold-start.json", result, true);
  // Every deployed function was measured.
  if (
    Object.keys(result.functions).length !==
    readdirSync(join(FUNCTIONS_DIR, "src/triggers")).filter((f) => !TRIGGER_HELPERS.has(f)).length
  ) {
    throw new Error("some trigger files are not exported from index.ts");
  }
});
