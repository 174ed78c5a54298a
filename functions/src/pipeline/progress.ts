/**
 * Progress a person understands: `postprocessing.progress = {phase, percent, eta_seconds}`, from the job's stage
 * states, the audio's duration and how fast each stage has been on earlier jobs (`Speed`, measured from their ledgers
 * by the re-drive run, store/speedStats.ts). Written at stage boundaries, per transcribed chunk (offline) and per FAL
 * status poll. Pure.
 */
import type { Postprocessing } from "../model/job.js";
import type { Progress, Speed } from "../model/progress.js";
import { PIPELINE, stageDefinition, type StageName } from "./definition.js";

/**
 * Before any job has been measured, each stage's `speed` from the pipeline table: the offline path in the emulators
 * (bench transcription: pocketsphinx about 0.3 of real time on one core) and a few seconds per stage. Production
 * replaces these with measured figures after the first completed jobs.
 */
const defaultSpeed = (stage: StageName) => stageDefinition(stage).speed;

/** How far the stage that is running has come (0–1), when it can tell (chunks done, time at the provider). */
export interface RunningStage {
  stage: StageName;
  fraction: number;
}

type JobView = Pick<Postprocessing, "status" | "stages" | "flags" | "audio" | "progress"> & {
  phase: string;
};

/** Milliseconds `stage` usually takes for this job's audio. */
/** Until the audio is measured, a minute is assumed: the shares between stages matter, not the total. */
export function jobProgressExpectedMs(pp: Pick<Postprocessing, "audio">, speed: Speed, stage: StageName): number {
  const s = speed[stage] ?? defaultSpeed(stage);
  return s.fixedMs + s.msPerAudioSecond * (pp.audio?.duration_s ?? 60);
}

export function jobProgress(pp: JobView, speed: Speed, running: RunningStage | null = null): Progress {
  if (pp.status !== "in_progress") return { phase: pp.phase, percent: 100, eta_seconds: 0 };
  const duration = pp.audio?.duration_s;
  const required = PIPELINE.filter((s) => s.required);
  const expected = (stage: StageName) => jobProgressExpectedMs(pp, speed, stage);
  let total = 0;
  let done = 0;
  for (const { name } of required) {
    const ms = expected(name);
    total += ms;
    const state = pp.stages[name]?.state;
    if (state === "done" || state === "skipped") done += ms;
    else if (running?.stage === name) done += ms * Math.min(1, Math.max(0, running.fraction));
  }
  const share = total > 0 ? done / total : 0;
  // Never below what the app was last shown: the shares move when the audio is measured or the speed figures change.
  const shown = pp.progress?.percent ?? 0;
  return {
    phase: pp.phase,
    percent: Math.max(Math.min(99, shown), Math.min(99, Math.floor(share * 100))),
    eta_seconds: duration === undefined ? null : Math.max(1, Math.round((total - done) / 1000)),
  };
}

/**
 * The speed of earlier jobs from their ledgers: per stage, the median of wall time (plus queue time at the provider)
 * per second of audio, over jobs that recorded it. Stages without enough jobs keep the default.
 */
export function measureSpeed(
  jobs: { durationS: number; stageMs: Partial<Record<StageName, number>> }[],
  minJobs = 3,
): Speed {
  const speed: Speed = {};
  for (const { name } of PIPELINE) {
    const perSecond = jobs
      .filter((j) => j.durationS > 0 && j.stageMs[name] !== undefined)
      .map((j) => Math.max(0, j.stageMs[name]! - defaultSpeed(name).fixedMs) / j.durationS)
      .sort((a, b) => a - b);
    if (perSecond.length < minJobs) continue;
    speed[name] = {
      fixedMs: defaultSpeed(name).fixedMs,
      msPerAudioSecond: Math.round(perSecond[Math.floor(perSecond.length / 2)] * 10) / 10,
    };
  }
  return speed;
}
