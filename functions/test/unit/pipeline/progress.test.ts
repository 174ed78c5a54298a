/** pipeline/progress.ts: percent and ETA from stage states, audio length and measured speed. */
import { describe, expect, it } from "vitest";
import type { Postprocessing } from "../../../src/model/job.js";
import { stageDefinition } from "../../../src/pipeline/definition.js";
import { jobProgress, measureSpeed } from "../../../src/pipeline/progress.js";

const stage = (state: string) => ({
  state,
  attempts: 1,
  lease_expires_at: null,
  last_error: null,
  idempotency_key: null,
});
const job = (stages: Record<string, string>, duration?: number) =>
  ({
    status: "in_progress",
    phase: "transcribing",
    flags: {},
    audio: duration === undefined ? {} : { duration_s: duration },
    stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, stage(v)])),
  }) as unknown as Postprocessing & { phase: string };

describe("jobProgress", () => {
  it("grows with the stages done and the running stage's fraction, with an ETA from the speed", () => {
    const speed = {
      prepare_audio: { fixedMs: 0, msPerAudioSecond: 100 },
      transcribe: { fixedMs: 0, msPerAudioSecond: 600 },
      segment: { fixedMs: 0, msPerAudioSecond: 100 },
      identify: { fixedMs: 0, msPerAudioSecond: 100 },
      reprocess: { fixedMs: 0, msPerAudioSecond: 100 },
    };
    // 10 s of audio: 1 + 6 + 1 + 1 + 1 = 10 s of work in all.
    const start = jobProgress(job({ prepare_audio: "processing" }, 10), speed);
    expect(start).toEqual({ phase: "transcribing", percent: 0, eta_seconds: 10 });
    const half = jobProgress(job({ prepare_audio: "done", transcribe: "processing" }, 10), speed, {
      stage: "transcribe",
      fraction: 0.5,
    });
    expect(half).toEqual({ phase: "transcribing", percent: 40, eta_seconds: 6 });
    const almost = jobProgress(
      job(
        { prepare_audio: "done", transcribe: "done", segment: "done", identify: "done", reprocess: "processing" },
        10,
      ),
      speed,
    );
    expect(almost.percent).toBe(90);
    expect(almost.eta_seconds).toBe(1);
  });

  it("never says 100 before the job ended, and has no ETA before the audio is measured", () => {
    const all = { prepare_audio: "done", transcribe: "done", segment: "done", identify: "done", reprocess: "done" };
    expect(jobProgress(job(all, 10), {}).percent).toBe(99);
    expect(jobProgress(job({ prepare_audio: "processing" }), {}).eta_seconds).toBeNull();
    expect(jobProgress({ ...job(all, 10), status: "completed", phase: "completed" }, {})).toEqual({
      phase: "completed",
      percent: 100,
      eta_seconds: 0,
    });
  });

  it("never goes below the percent last shown, when the speed figures or the measured duration move the shares", () => {
    const midway = job({ prepare_audio: "done", transcribe: "processing" }, 30);
    // Measured first as the long stage, then the speed figures say it is short: half of it is less of the job.
    const longStage = { transcribe: { fixedMs: 0, msPerAudioSecond: 5000 } };
    const shortStage = { transcribe: { fixedMs: 0, msPerAudioSecond: 10 } };
    const before = jobProgress(midway, longStage, { stage: "transcribe", fraction: 0.5 });
    const unguarded = jobProgress(midway, shortStage, { stage: "transcribe", fraction: 0.5 });
    expect(unguarded.percent).toBeLessThan(before.percent); // what the guard is for
    const after = jobProgress({ ...midway, progress: before }, shortStage, { stage: "transcribe", fraction: 0.5 });
    expect(after.percent).toBe(before.percent);
    expect(jobProgress({ ...midway, progress: { ...before, percent: 100 } }, shortStage).percent).toBe(99);
  });

  it("ignores the optional emotion stage: it never holds the job up", () => {
    const a = jobProgress(job({ prepare_audio: "done", transcribe: "processing" }, 30), {});
    const b = jobProgress(job({ prepare_audio: "done", transcribe: "processing", emotion: "done" }, 30), {});
    expect(b).toEqual(a);
  });
});

describe("measureSpeed", () => {
  it("takes per stage the median time per audio second over enough jobs, keeping the default otherwise", () => {
    const fixed = stageDefinition("transcribe").speed.fixedMs;
    const jobs = [10, 20, 40].map((durationS, i) => ({
      durationS,
      stageMs: { transcribe: fixed + durationS * [100, 200, 900][i], segment: 5 },
    }));
    const speed = measureSpeed(jobs.slice(0, 3));
    expect(speed.transcribe).toEqual({ fixedMs: fixed, msPerAudioSecond: 200 });
    expect(speed.segment).toEqual({ fixedMs: stageDefinition("segment").speed.fixedMs, msPerAudioSecond: 0 });
    expect(measureSpeed(jobs.slice(0, 2)).transcribe).toBeUndefined();
  });
});
