/** scheduled/sweepExpiredAudio.ts: when a job is over, so its audio may be swept. */
import { describe, expect, it } from "vitest";
import { jobIsOver } from "../../../src/scheduled/sweepExpiredAudio.js";

describe("jobIsOver", () => {
  it("is true for terminal, superseded or orphaned jobs only", () => {
    expect(jobIsOver({ status: "completed", job_id: "a" }, true, "a")).toBe(true);
    expect(jobIsOver({ status: "in_progress", job_id: "b" }, true, "a")).toBe(true);
    expect(jobIsOver(undefined, false, "a")).toBe(true);
    expect(jobIsOver({ status: "in_progress", job_id: "a" }, true, "a")).toBe(false);
  });
  it("keeps the audio of a completed job whose optional stage still runs", () => {
    expect(jobIsOver({ status: "completed", job_id: "a", optional_open: true }, true, "a")).toBe(false);
    expect(jobIsOver({ status: "completed", job_id: "a", optional_open: false }, true, "a")).toBe(true);
    expect(jobIsOver({ status: "failed", job_id: "a", optional_open: true }, true, "a")).toBe(true);
  });
});
