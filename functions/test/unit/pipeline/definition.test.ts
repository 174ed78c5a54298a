/** pipeline/definition.ts: the declared pipeline and what follows from it. */
import { describe, expect, it } from "vitest";
import type { Postprocessing } from "../../../src/model/job.js";
import {
  allRequiredDone,
  isStageName,
  nextStages,
  nextTopics,
  optionalOpen,
  phaseAfter,
  PIPELINE,
  pipelineOf,
  pipelineProblems,
  previousStage,
  redriveTopicOf,
  STAGE_NAMES,
  stageDefinition,
  topicOf,
  UPLOAD_FLAGS,
  upstreamOf,
  STAGES,
  type StageDeclaration,
  type StageName,
} from "../../../src/pipeline/definition.js";

type View = Pick<Postprocessing, "flags" | "stages">;
const done = { state: "done", attempts: 1, lease_expires_at: null, last_error: null, idempotency_key: "k" } as const;
const job = (emotional: boolean, doneStages: StageName[]): View => ({
  flags: { emotional_feedback: emotional },
  stages: Object.fromEntries(doneStages.map((s) => [s, done])),
});

describe("the pipeline table", () => {
  it("declares every stage once, in order, with distinct topics", () => {
    expect(PIPELINE.map((s) => s.name)).toEqual([...STAGE_NAMES]);
    const topics = PIPELINE.flatMap((s) => topicOf(s.name) ?? []);
    expect(new Set(topics).size).toBe(topics.length);
    expect(topicOf("prepare_audio")).toBeNull();
    expect(topicOf("segment")).toBe("postprocessing-segment");
    expect(redriveTopicOf("prepare_audio")).toBe("postprocessing-prepare-audio-redrive");
    expect(redriveTopicOf("identify")).toBe("postprocessing-identify");
    expect(isStageName("identify")).toBe(true);
    expect(isStageName("language")).toBe(false);
  });
  it("collects the upload flags optional stages need, once each", () => {
    expect(UPLOAD_FLAGS).toEqual(["emotional_feedback"]);
  });
  it("derives each stage's predecessor and upstream stages from `next`, not from the order", () => {
    expect(previousStage("prepare_audio")).toBeNull();
    expect(previousStage("reprocess")).toBe("identify");
    expect(previousStage("emotion")).toBe("identify");
    expect(upstreamOf("reprocess")).toEqual(["prepare_audio", "transcribe", "segment", "identify"]);
    expect(upstreamOf("emotion")).toEqual(["prepare_audio", "transcribe", "segment", "identify"]);
    expect(upstreamOf("prepare_audio")).toEqual([]);
  });
  it("is sound: unique names and phases, known next stages, one first stage, one predecessor each, no cycle", () => {
    expect(pipelineProblems(STAGES)).toEqual([]);
  });
  it("gives every stage distinct phases", () => {
    const phases = PIPELINE.flatMap((s) => [s.phases.waiting, s.phases.running]);
    expect(new Set(phases).size).toBe(phases.length);
  });
});

describe("next stages", () => {
  it("queues emotion beside reprocess only when the upload asked for it", () => {
    expect(nextStages("identify", job(false, []))).toEqual(["reprocess"]);
    expect(nextStages("identify", job(true, []))).toEqual(["reprocess", "emotion"]);
    expect(nextTopics("identify", job(true, []))).toEqual(["postprocessing-reprocess", "postprocessing-emotion"]);
    expect(nextStages("reprocess", job(true, []))).toEqual([]);
    // A job without flags (re-runs, jobs of older versions read without them) includes no flagged stage.
    expect(nextStages("identify", { flags: undefined })).toEqual(["reprocess"]);
  });
});

describe("completion", () => {
  const required = PIPELINE.filter((s) => s.required).map((s) => s.name);
  it("is reached when every required stage is done, optional ones or not", () => {
    expect(allRequiredDone(job(false, required))).toBe(true);
    expect(allRequiredDone(job(true, required))).toBe(true);
    expect(
      allRequiredDone(
        job(
          false,
          required.filter((s) => s !== "reprocess"),
        ),
      ),
    ).toBe(false);
    expect(stageDefinition("emotion").required).toBe(false);
  });
  it("moves the phase to the next required stage's waiting phase, then to completed", () => {
    expect(phaseAfter("prepare_audio", job(false, ["prepare_audio"]))).toBe("awaiting_transcription");
    expect(phaseAfter("identify", job(true, ["prepare_audio", "transcribe", "segment", "identify"]))).toBe(
      "awaiting_reprocess",
    );
    expect(phaseAfter("reprocess", job(true, required))).toBe("completed");
  });
  it("tells whether an optional stage is still queued or running", () => {
    const at = (state: string) => ({ ...job(true, required).stages, emotion: { ...done, state } });
    expect(optionalOpen(job(true, required).stages)).toBe(false);
    for (const state of ["pending", "processing", "waiting"]) expect(optionalOpen(at(state))).toBe(true);
    for (const state of ["done", "failed", "skipped"]) expect(optionalOpen(at(state))).toBe(false);
    // A required stage still running is not an optional one.
    expect(optionalOpen({ reprocess: { ...done, state: "pending" } })).toBe(false);
  });
});

describe("a table that breaks its rules", () => {
  /** The shipped table with some entries changed (a copy: STAGES is untouched). */
  const edited = (change: Partial<Record<StageName, Partial<StageDeclaration>>>): StageDeclaration[] =>
    STAGES.map((s) => ({ ...s, ...change[s.name] }));

  it("is refused when loaded, with every problem named", () => {
    const table = edited({ reprocess: { next: ["summarise"] }, emotion: { name: "identify" } });
    expect(pipelineProblems(table)).toEqual([
      "stage identify is declared twice",
      "identify.next names unknown stage emotion",
      "reprocess.next names unknown stage summarise",
    ]);
    expect(() => pipelineOf(table)).toThrow(
      "The pipeline table is not sound: stage identify is declared twice; identify.next names unknown stage emotion; " +
        "reprocess.next names unknown stage summarise",
    );
  });
  it("names a cycle, a stage with two predecessors, and a stage nothing leads to", () => {
    expect(pipelineProblems(edited({ reprocess: { next: ["segment"] } }))).toEqual([
      "stage segment has 2 predecessors (transcribe, reprocess)",
      "cycle: segment → identify → reprocess → segment",
    ]);
    expect(pipelineProblems(edited({ identify: { next: ["reprocess"] } }))).toEqual([
      "2 stages have no predecessor (prepare_audio, emotion); one starts it",
    ]);
    expect(pipelineProblems(edited({ identify: { next: ["reprocess"] }, emotion: { next: ["emotion"] } }))).toEqual([
      "stage emotion is never reached from prepare_audio",
    ]);
  });
  it("names a phase two stages share", () => {
    const table = edited({ emotion: { phases: { waiting: "awaiting_reprocess", running: "analysing_emotion" } } });
    expect(pipelineProblems(table)).toEqual(["phase awaiting_reprocess belongs to two stages"]);
  });
});
