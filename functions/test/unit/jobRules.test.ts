import { describe, expect, it } from "vitest";
import { Timestamp } from "firebase-admin/firestore";
import { refusalForNewJob } from "../../src/store/jobs.js";
import { decideClaim } from "../../src/store/stages.js";
import { isValidDocumentId } from "../../src/store/paths.js";
import { toAppMemory } from "../../src/store/serialize.js";
import { minimumAudioSeconds, transcriptSpanSeconds } from "../../src/stages/prepareAudio.js";
import { jobIsOver } from "../../src/stages/sweepExpiredAudio.js";

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
    expect(code({ postprocessing: { status: "in_progress", job_id: "a", updated_at: minutesAgo(5) } })).toBe("job_in_progress");
    expect(code({ postprocessing: { status: "completed", job_id: "a" } })).toBe("already_post_processed");
  });
  it("lets a stale in-progress job be replaced", () => {
    expect(code({ postprocessing: { status: "in_progress", job_id: "a", updated_at: minutesAgo(121) } })).toBeNull();
    expect(code({ postprocessing: { status: "in_progress", job_id: "a", updated_at: "garbage" } })).toBe("job_in_progress");
  });
  it("maps each refusal to its HTTP status", () => {
    expect(refusalForNewJob(undefined, now, STALE)!.status).toBe(404);
    expect(refusalForNewJob({ deleted: true }, now, STALE)!.status).toBe(422);
    expect(refusalForNewJob({ postprocessing: { status: "completed" } }, now, STALE)!.status).toBe(409);
  });
});

describe("decideClaim", () => {
  const memory = (stage: Record<string, unknown> | undefined, status = "in_progress", jobId = "job") => ({
    postprocessing: { status, job_id: jobId, stages: stage ? { prepare_audio: stage } : {} },
  });
  const decide = (m: Record<string, unknown> | undefined, jobId = "job") => decideClaim(m, jobId, "prepare_audio", now, 3);

  it("claims a pending or missing stage, counting attempts", () => {
    expect(decide(memory(undefined))).toEqual({ kind: "claim", attempt: 1 });
    expect(decide(memory({ state: "pending", attempts: 2 }))).toEqual({ kind: "claim", attempt: 3 });
  });
  it("skips gone memories, superseded and terminal jobs, done and failed stages, and live leases", () => {
    expect(decide(undefined)).toEqual({ kind: "skip", reason: "memory_gone" });
    expect(decide(memory(undefined), "other")).toEqual({ kind: "skip", reason: "job_superseded" });
    expect(decide(memory(undefined, "canceled"))).toEqual({ kind: "skip", reason: "job_canceled" });
    expect(decide(memory({ state: "done", attempts: 1, next_published: true }))).toEqual({ kind: "skip", reason: "stage_done" });
    expect(decide(memory({ state: "failed", attempts: 1 }))).toEqual({ kind: "skip", reason: "stage_failed" });
    expect(decide(memory({ state: "processing", attempts: 1, lease_expires_at: minutesAgo(-1) }))).toEqual({ kind: "skip", reason: "stage_leased" });
    // Finished a moment ago and still publishing: a racing duplicate must not publish as well.
    expect(decide(memory({ state: "done", attempts: 1, next_published: false, lease_expires_at: minutesAgo(-0.5) }))).toEqual({ kind: "skip", reason: "handoff_in_flight" });
  });
  it("takes over an expired lease, republishes an unpublished hand-off, and stops after the last attempt", () => {
    expect(decide(memory({ state: "processing", attempts: 1, lease_expires_at: minutesAgo(1) }))).toEqual({ kind: "claim", attempt: 2 });
    expect(decide(memory({ state: "done", attempts: 1, next_published: false }))).toEqual({ kind: "republish" });
    expect(decide(memory({ state: "done", attempts: 1, next_published: false, lease_expires_at: minutesAgo(2) }))).toEqual({ kind: "republish" });
    expect(decide(memory({ state: "pending", attempts: 3 }))).toEqual({ kind: "exhausted", attempts: 3 });
  });
});

describe("minimum audio length", () => {
  const config = { minAudioSeconds: 10, transcriptShortfallSeconds: 10 };
  it("is 10 s, or the existing transcript's span minus 10 s when longer", () => {
    expect(minimumAudioSeconds({}, config)).toBe(10);
    expect(minimumAudioSeconds({ transcript_segments: [{ start: 0, end: 15 }] }, config)).toBe(10);
    expect(minimumAudioSeconds({ transcript_segments: [{ start: 5, end: 8 }, { start: 60, end: 75 }] }, config)).toBe(60);
  });
  it("ignores malformed segments", () => {
    expect(transcriptSpanSeconds([{ start: Number.NaN, end: 4 }, { start: 1, end: 3 }])).toBe(3);
    expect(transcriptSpanSeconds(undefined)).toBe(0);
  });
});

describe("isValidDocumentId", () => {
  it("accepts ordinary ids and refuses paths and reserved names", () => {
    expect(isValidDocumentId("abc-123_x")).toBe(true);
    expect(isValidDocumentId("4f1c2b7e-8d0a-4d6e-9c3b-2f8a1e5d7c90")).toBe(true);
    for (const bad of ["", "a/b", ".", "..", "__x__", "a b", "x".repeat(300)]) expect(isValidDocumentId(bad)).toBe(false);
  });
});

describe("toAppMemory", () => {
  it("fills the app's defaults, converts timestamps and hides pipeline internals", () => {
    const json = toAppMemory("m1", {
      created_at: Timestamp.fromDate(now),
      transcript_segments: [{ text: "hi", speaker: "SPEAKER_00", speaker_id: 0, is_user: true, person_id: null, start: 0, end: 1 }],
      postprocessing: { status: "in_progress", model: "fal_whisperx", fail_reason: null, job_id: "j", stages: { prepare_audio: {} }, audio: {} },
    });
    expect(json).toMatchObject({
      id: "m1", created_at: "2026-11-25T12:00:00.000Z", source: "friend", photos: [], discarded: false, deleted: false,
      structured: { title: "", category: "other", action_items: [], events: [] },
      postprocessing: { status: "in_progress", model: "fal_whisperx", fail_reason: null, job_id: "j" },
    });
    expect(json.postprocessing).not.toHaveProperty("stages");
  });
});

describe("jobIsOver", () => {
  it("is true for terminal, superseded or orphaned jobs only", () => {
    expect(jobIsOver({ status: "completed", job_id: "a" }, true, "a")).toBe(true);
    expect(jobIsOver({ status: "in_progress", job_id: "b" }, true, "a")).toBe(true);
    expect(jobIsOver(undefined, false, "a")).toBe(true);
    expect(jobIsOver({ status: "in_progress", job_id: "a" }, true, "a")).toBe(false);
  });
});
