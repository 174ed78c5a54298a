/** store/jobs.ts: when a new post-processing job is refused. */
import { describe, expect, it } from "vitest";
import { refusalForNewJob } from "../../../src/store/jobs.js";

const now = new Date("2026-11-25T12:00:00Z");
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
const STALE = 120 * 60_000;

describe("refusalForNewJob", () => {
  const code = (memory: Record<string, unknown> | undefined) => refusalForNewJob(memory, now, STALE)?.code ?? null;
  it("accepts a fresh, failed or canceled memory", () => {
    expect(code({})).toBeNull();
    expect(code({ postprocessing: { status: "failed", job_id: "a" } })).toBeNull();
    expect(code({ postprocessing: { status: "canceled", job_id: "a" } })).toBeNull();
    expect(code({ postprocessing: { status: "not_started" } })).toBeNull();
  });
  it("refuses missing, deleted, discarded, running and completed memories", () => {
    expect(code(undefined)).toBe("memory_not_found");
    expect(code({ deleted: true })).toBe("memory_deleted");
    expect(code({ discarded: true })).toBe("memory_discarded");
    expect(code({ postprocessing: { status: "in_progress", job_id: "a", updated_at: minutesAgo(5) } })).toBe(
      "job_in_progress",
    );
    expect(code({ postprocessing: { status: "completed", job_id: "a" } })).toBe("already_post_processed");
  });
  it("lets a stale in-progress job be replaced", () => {
    expect(code({ postprocessing: { status: "in_progress", job_id: "a", updated_at: minutesAgo(121) } })).toBeNull();
    expect(code({ postprocessing: { status: "in_progress", job_id: "a", updated_at: "garbage" } })).toBe(
      "job_in_progress",
    );
  });
});
