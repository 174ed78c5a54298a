/**
 * Bench figures: one JSON file per bench in bench-results/, each stamped with the commit it was measured on (and
 * whether the tree had uncommitted changes outside bench-results/), the time and the machine, so figures compare from
 * one commit to the next.
 * Tests that also measure something (the fault suite's recovery time, the load run) write their figure only under
 * `npm run bench` (BENCH_FIGURES=1); in `npm test` they print it. Figures are never assertions.
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";

const RESULTS_DIR = new URL("../../../bench-results/", import.meta.url);

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/** Where and on what a figure was measured. */
export function measuredOn() {
  // Other benches' figures written in the same run are results, not code: they do not make the tree dirty.
  const dirty = git(["status", "--porcelain", "--untracked-files=no", "--", ":/", ":(top,exclude)bench-results"]);
  return {
    commit: git(["rev-parse", "HEAD"]),
    uncommittedChanges: dirty === null ? null : dirty.length > 0,
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
  };
}

/** Writes `bench-results/<file>` (under `npm run bench`, or when `force`), else prints the figures. */
export async function writeBenchFigure(file: string, figures: Record<string, unknown>, force = false): Promise<void> {
  const body = { ...figures, measuredOn: measuredOn() };
  if (!force && !process.env.BENCH_FIGURES) {
    console.log(`bench figure (${file}, written by npm run bench):`, JSON.stringify(figures));
    return;
  }
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(new URL(file, RESULTS_DIR), `${JSON.stringify(body, null, 2)}\n`);
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
