/** pipeline/stageState.ts: whether a stage delivery claims, skips, republishes or gives up. */
import { describe, expect, it } from "vitest";
import { decideClaim } from "../../../src/pipeline/stageState.js";

const now = new Date("2026-11-25T12:00:00Z");
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();

describe("decideClaim", () => {
  const memory = (stage: Record<string, unknown> | undefined, status = "in_progress", jobId = "job") => ({
    postprocessing: { status, job_id: jobId, stages: stage ? { prepare_audio: stage } : {} },
  });
  const decide = (m: Record<string, unknown> | undefined, jobId = "job") =>
    decideClaim(m, jobId, "prepare_audio", now, 3);

  it("claims a pending stage, counting attempts, and skips one not queued yet (an overtaking message)", () => {
    expect(decide(memory(undefined))).toEqual({ kind: "skip", reason: "stage_not_queued" });
    expect(decide(memory({ state: "pending", attempts: 0 }))).toEqual({ kind: "claim", attempt: 1 });
    expect(decide(memory({ state: "pending", attempts: 2 }))).toEqual({ kind: "claim", attempt: 3 });
  });
  it("skips gone memories, superseded and terminal jobs, done and failed stages, and live leases", () => {
    expect(decide(undefined)).toEqual({ kind: "skip", reason: "memory_gone" });
    expect(decide(memory(undefined), "other")).toEqual({ kind: "skip", reason: "job_superseded" });
    expect(decide(memory(undefined, "canceled"))).toEqual({ kind: "skip", reason: "job_canceled" });
    expect(decide(memory({ state: "done", attempts: 1, next_published: true }))).toEqual({
      kind: "skip",
      reason: "stage_done",
    });
    expect(decide(memory({ state: "failed", attempts: 1 }))).toEqual({ kind: "skip", reason: "stage_failed" });
    expect(decide(memory({ state: "processing", attempts: 1, lease_expires_at: minutesAgo(-1) }))).toEqual({
      kind: "skip",
      reason: "stage_leased",
    });
    // Finished a moment ago and still publishing: a racing duplicate must not publish as well.
    expect(
      decide(memory({ state: "done", attempts: 1, next_published: false, lease_expires_at: minutesAgo(-0.5) })),
    ).toEqual({ kind: "skip", reason: "handoff_in_flight" });
  });
  it("takes over an expired lease, republishes an unpublished hand-off, and stops after the last attempt", () => {
    expect(decide(memory({ state: "processing", attempts: 1, lease_expires_at: minutesAgo(1) }))).toEqual({
      kind: "claim",
      attempt: 2,
    });
    expect(decide(memory({ state: "done", attempts: 1, next_published: false }))).toEqual({ kind: "republish" });
    expect(
      decide(memory({ state: "done", attempts: 1, next_published: false, lease_expires_at: minutesAgo(2) })),
    ).toEqual({ kind: "republish" });
    expect(decide(memory({ state: "pending", attempts: 3 }))).toEqual({ kind: "exhausted", attempts: 3 });
  });

  it("cancels at the next stage boundary when the memory was deleted or discarded meanwhile", () => {
    const pending = { state: "pending", attempts: 0 };
    expect(decide({ ...memory(pending), deleted: true })).toEqual({
      kind: "cancel",
      reason: expect.stringMatching(/^memory_deleted/),
    });
    expect(decide({ ...memory(pending), discarded: true })).toEqual({
      kind: "cancel",
      reason: expect.stringMatching(/^memory_discarded/),
    });
    // A job already over stays over.
    expect(decide({ ...memory(pending, "failed"), deleted: true })).toEqual({ kind: "skip", reason: "job_failed" });
  });
});
