/** http/refusals.ts: the HTTP status of each reason a new job is refused. */
import { describe, expect, it } from "vitest";
import { refusalError } from "../../../src/http/refusals.js";
import { refusalForNewJob } from "../../../src/store/jobs.js";

const now = new Date("2026-11-25T12:00:00Z");
const STALE = 120 * 60_000;

describe("refusalError", () => {
  it("maps each refusal to its HTTP status", () => {
    const status = (memory: Record<string, unknown> | undefined) =>
      refusalError(refusalForNewJob(memory, now, STALE)!).status;
    expect(status(undefined)).toBe(404);
    expect(status({ deleted: true })).toBe(422);
    expect(status({ postprocessing: { status: "completed" } })).toBe(409);
  });
});
