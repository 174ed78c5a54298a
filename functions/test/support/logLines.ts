/**
 * The log lines the emulated functions (and in-process code) wrote during this run (LOG_TEE_FILE, see src/logs.ts).
 * A test that checks that a duplicate "did nothing" first waits for the duplicate's own line saying it was skipped,
 * so the check never passes merely because the duplicate had not run yet.
 */
import { readFile } from "node:fs/promises";
import { waitFor } from "./emulators.js";

const TEE_FILE = new URL("../../.e2e-logs.jsonl", import.meta.url);

export type LogLine = Record<string, unknown> & { event?: string };

export async function logLines(filter: (line: LogLine) => boolean = () => true): Promise<LogLine[]> {
  const text = await readFile(TEE_FILE, "utf8").catch(() => "");
  const lines: LogLine[] = [];
  for (const raw of text.split("\n")) {
    if (!raw) continue;
    try {
      const line = JSON.parse(raw) as LogLine;
      if (filter(line)) lines.push(line);
    } catch {
      // a line being appended right now
    }
  }
  return lines;
}

/** The `stage_skipped` lines of a job (optionally of one stage). */
export const skipsOf = (jobId: string, stage?: string) =>
  logLines((l) => l.event === "stage_skipped" && l.jobId === jobId && (!stage || l.stage === stage));

/** Waits until the job has at least `count` more `stage_skipped` lines than `before`; returns the new ones. */
export async function waitForSkips(
  jobId: string,
  before: number,
  count: number,
  opts: { stage?: string; timeoutMs?: number } = {},
): Promise<LogLine[]> {
  return waitFor(
    async () => {
      const skips = await skipsOf(jobId, opts.stage);
      return skips.length >= before + count ? skips.slice(before) : null;
    },
    { what: `${count} skipped deliveries of job ${jobId}`, timeoutMs: opts.timeoutMs ?? 120_000 },
  );
}

/**
 * Waits until at least `count` lines match (a function logs after the state a test watches, and the tee file lags a
 * little behind the function); returns every matching line.
 */
export async function waitForLines(
  filter: (line: LogLine) => boolean,
  opts: { what: string; count?: number; timeoutMs?: number },
): Promise<LogLine[]> {
  return waitFor(
    async () => {
      const lines = await logLines(filter);
      return lines.length >= (opts.count ?? 1) ? lines : null;
    },
    { what: `log lines: ${opts.what}`, timeoutMs: opts.timeoutMs ?? 60_000 },
  );
}
