/**
 * Adding a stage is an entry in the pipeline table (docs/architecture.md "Adding a stage"): this file swaps in a copy
 * of the table with one more entry, an optional `language` stage that needs the upload flag `detect_language` and is
 * placed between `identify` and `reprocess` in the array (the order must not matter), and checks that the upload
 * flags, the runner (its completion in the Firestore emulator), the re-drive, progress, the job view, re-runs and the
 * generated stage table all pick it up with no other change.
 */
import type { Request } from "express";
import { describe, expect, it, vi } from "vitest";
import { toJobView } from "../../src/http/json.js";
import { uploadFlagsParam } from "../../src/http/requestParams.js";
import type { Postprocessing } from "../../src/model/job.js";
import {
  nextTopics,
  PIPELINE,
  previousStage,
  redriveTopicOf,
  upstreamOf,
  UPLOAD_FLAGS,
  type StageName,
} from "../../src/pipeline/definition.js";
import type * as Definition from "../../src/pipeline/definition.js";
import { jobProgressExpectedMs } from "../../src/pipeline/progress.js";
import { completeStage } from "../../src/pipeline/stageState.js";
import { renderStageTable } from "../../src/pipeline/stageTable.js";
import { recoverStalledJobs } from "../../src/scheduled/recoverStalledJobs.js";
import { createFalTranscriber } from "../../src/providers/transcriber/create.js";
import { readPostprocessing } from "../../src/store/jobs.js";
import { buildRerunPostprocessing } from "../../src/store/reruns.js";
import { db } from "../../src/store/firebase.js";
import { memoryPath } from "../../src/store/paths.js";
import { config, createMemory, createUser, readMemory } from "../support/emulators.js";
import { seedJobAt } from "../support/jobs.js";

vi.mock("../../src/pipeline/definition.js", async (importOriginal) => {
  const real = await importOriginal<typeof Definition>();
  const identify = real.STAGES.findIndex((s) => s.name === "identify");
  const language = {
    name: "language",
    summary: "detect the spoken language",
    trigger: "topic",
    phases: { waiting: "awaiting_language", running: "detecting_language" },
    next: [],
    required: false,
    onlyWith: "detect_language",
    speed: { fixedMs: 700, msPerAudioSecond: 3 },
    runtime: real.stageDefinition("reprocess").runtime,
  } as const;
  const stages = real.STAGES.map((s) => (s.name === "identify" ? { ...s, next: [...s.next, "language"] } : s));
  const table = [...stages.slice(0, identify + 1), language, ...stages.slice(identify + 1)];
  return { ...real, STAGES: table, ...real.pipelineOf(table) };
});

const LANGUAGE = "language" as StageName;
const request = (query: Record<string, string>) => ({ query }) as unknown as Request;

describe("a stage added to the pipeline table", () => {
  it("is in the table where it was put, with its upload flag, topics, neighbours and default speed", () => {
    expect(PIPELINE.map((s) => s.name)).toEqual([
      "prepare_audio",
      "transcribe",
      "segment",
      "identify",
      "language",
      "reprocess",
      "emotion",
    ]);
    expect(UPLOAD_FLAGS).toEqual(["detect_language", "emotional_feedback"]);
    expect(redriveTopicOf(LANGUAGE)).toBe("postprocessing-language");
    expect(previousStage(LANGUAGE)).toBe("identify");
    // Re-runs of reprocess still hand off from identify and mark only its upstream done, whatever sits in between.
    expect(previousStage("reprocess")).toBe("identify");
    expect(upstreamOf("reprocess")).toEqual(["prepare_audio", "transcribe", "segment", "identify"]);
    expect(jobProgressExpectedMs({ audio: { duration_s: 100 } } as Postprocessing, {}, LANGUAGE)).toBe(700 + 300);
    expect(renderStageTable()).toContain(
      "| 5 | `language` | Pub/Sub `postprocessing-language` | `awaiting_language` → `detecting_language` | — | " +
        "no (only with `detect_language`) |",
    );
  });

  it("gets its flag parsed from the upload's query, refused when it is not a boolean", () => {
    expect(uploadFlagsParam(request({ detect_language: "true" }))).toEqual({
      detect_language: true,
      emotional_feedback: false,
    });
    expect(uploadFlagsParam(request({}))).toEqual({ detect_language: false, emotional_feedback: false });
    expect(() => uploadFlagsParam(request({ detect_language: "maybe" }))).toThrow(/detect_language must be true/);
  });

  it("is queued by the runner after identify only with its flag, beside the job; the job view shows it", async () => {
    const user = await createUser();
    const results: Postprocessing[] = [];
    for (const detect of [true, false]) {
      const memoryId = await createMemory(user.uid);
      const job = await seedJobAt(user.uid, memoryId, "identify", { flags: { detect_language: detect } });
      await db()
        .doc(memoryPath(user.uid, memoryId))
        .update({
          "postprocessing.stages.identify": {
            state: "processing",
            attempts: 1,
            lease_expires_at: new Date(Date.now() + 60_000).toISOString(),
            last_error: null,
            idempotency_key: "k",
          },
        });
      const done = await completeStage(job, "identify", {
        idempotencyKey: "k",
        now: new Date(),
        stageLeaseMs: 600_000,
      });
      expect(done?.next).toEqual(detect ? ["reprocess", "language"] : ["reprocess"]);
      const pp = readPostprocessing(await readMemory(user.uid, memoryId))!;
      expect(nextTopics("identify", pp)).toEqual(
        detect ? ["postprocessing-reprocess", "postprocessing-language"] : ["postprocessing-reprocess"],
      );
      results.push(pp);
    }
    const [withFlag, without] = results;
    expect(withFlag.stages.language).toMatchObject({ state: "pending", attempts: 0 });
    expect(withFlag.optional_open).toBe(true);
    // Optional: the job waits for reprocess only.
    expect(withFlag.phase).toBe("awaiting_reprocess");
    expect(without.stages.language).toBeUndefined();
    expect(without.optional_open).toBe(false);

    const view = toJobView("m", withFlag) as { stages: Record<string, unknown>; detect_language: boolean };
    expect(view.detect_language).toBe(true);
    expect(Object.keys(view.stages)).toEqual([
      "prepare_audio",
      "transcribe",
      "segment",
      "identify",
      "language",
      "reprocess",
    ]);
    expect(view.stages.language).toMatchObject({ state: "pending", required: false });
  });

  it("is re-driven when its message was lost, and left out of re-runs with its flag", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const job = await seedJobAt(user.uid, memoryId, LANGUAGE, {
      status: "completed",
      flags: { detect_language: true },
      optional_open: true,
      // Quiet for an hour: its message is taken for lost.
      updated_at: new Date(Date.now() - 3_600_000).toISOString(),
    });
    const report = await recoverStalledJobs({
      config,
      transcriber: () => createFalTranscriber(config, "unused"),
      now: new Date(),
    });
    expect(report.redriven.filter((r) => r.memoryId === memoryId)).toEqual([{ memoryId, stage: "language" }]);

    const previous = readPostprocessing(await readMemory(user.uid, memoryId))!;
    const rerun = buildRerunPostprocessing(
      previous,
      "reprocess",
      { jobId: "rerun", phase: "awaiting_reprocess", upstream: upstreamOf("reprocess") },
      new Date(),
    );
    expect(Object.keys(rerun.stages)).toEqual(["prepare_audio", "transcribe", "segment", "identify", "reprocess"]);
    expect(rerun.flags).toEqual({});
    expect(job.jobId).toBe(previous.job_id);
  });
});
