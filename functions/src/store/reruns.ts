/**
 * Re-running one stage of a memory's last job without a new upload (e.g. `identify` after the user enrolled their
 * voice, `reprocess` after a model change), as a new job that reuses the earlier job's stored artifacts. Transcription
 * is never re-run this way: it would pay the provider again for the same audio.
 */
import type { DocumentData } from "firebase-admin/firestore";
import type { Config } from "../config.js";
import type { Postprocessing, StageState } from "../model/job.js";
import { db } from "./firebase.js";
import { JobRefusedError, newJobId, readPostprocessing, refusalForAnyJob, type JobRefusal } from "./jobs.js";
import { memoryPath } from "./paths.js";
import { countNewJob, countRerun, readUsage } from "./usage.js";

/** Stage names are the pipeline table's (pipeline/definition.ts); the caller passes what the table says. */
export const RERUNNABLE_STAGES: readonly string[] = ["identify", "reprocess"];

const done = (previous: StageState | undefined): StageState => ({
  state: "done",
  attempts: previous?.attempts ?? 0,
  lease_expires_at: null,
  last_error: null,
  idempotency_key: previous?.idempotency_key ?? null,
  next_published: true,
});

/** Why `stage` cannot be re-run on this memory now, or null. Pure. */
export function refusalForRerun(
  memory: DocumentData | undefined,
  pp: Postprocessing | undefined,
  stage: string,
  now: Date,
  opts: { staleAfterMs: number; retentionMs: number },
): JobRefusal | null {
  if (!RERUNNABLE_STAGES.includes(stage)) {
    return {
      code: "stage_not_rerunnable",
      message:
        `Only ${RERUNNABLE_STAGES.join(" and ")} can be re-run; ` +
        `${stage} would redo paid work or needs a new upload.`,
    };
  }
  const busy = refusalForAnyJob(memory, now, opts.staleAfterMs);
  if (busy) return busy;
  if (!pp)
    return { code: "nothing_to_rerun", message: "The memory has not been post-processed yet; upload its audio." };
  if (stage === "identify") {
    if (!pp.segments || !pp.audio.normalized_object) {
      return {
        code: "nothing_to_rerun",
        message: "No earlier job of this memory produced the segments identify needs.",
      };
    }
    const age = now.getTime() - Date.parse(pp.artifacts_created_at ?? pp.created_at);
    if (!(age <= opts.retentionMs)) {
      return {
        code: "artifacts_expired",
        message: "The audio this memory's job kept for re-runs has expired (retention passed); upload the audio again.",
      };
    }
  }
  const segments = memory?.transcript_segments as unknown[] | undefined;
  if (stage === "reprocess" && !segments?.length) {
    return { code: "no_transcript", message: "The memory has no transcript to reprocess." };
  }
  return null;
}

/**
 * The new job: the stages upstream of `stage` done (as in the earlier job), `stage` pending, its upload flags cleared,
 * earlier artifacts reused.
 */
export function buildRerunPostprocessing(
  previous: Postprocessing,
  stage: string,
  /** `upstream`: the stages a job passes through to reach `stage` (pipeline/definition.ts upstreamOf). */
  job: { jobId: string; phase: string; upstream: readonly string[] },
  now: Date,
): Postprocessing {
  const at = now.toISOString();
  const stages: Postprocessing["stages"] = {};
  // The stages a job passes through to reach `stage` (optional ones beside that path are not part of the re-run).
  for (const name of job.upstream) stages[name] = done(previous.stages[name]);
  stages[stage] = { state: "pending", attempts: 0, lease_expires_at: null, last_error: null, idempotency_key: null };
  const { usage: _usage, warnings: _warnings, completed_at: _completed, speakers: _speakers, ...kept } = previous;
  return {
    ...kept,
    status: "in_progress",
    fail_reason: null,
    job_id: job.jobId,
    phase: job.phase,
    // The earlier job's progress ended at 100: the re-run starts its own.
    progress: { phase: job.phase, percent: 0, eta_seconds: null },
    // A re-run includes no stage that needs an upload flag (an optional analysis would pay again for the same audio).
    flags: {},
    created_at: at,
    updated_at: at,
    stages,
    artifacts_job_id: previous.artifacts_job_id ?? previous.job_id,
    artifacts_created_at: previous.artifacts_created_at ?? previous.created_at,
    rerun: { stage, of_job: previous.job_id },
  };
}

export interface StartedRerun {
  jobId: string;
  memory: DocumentData;
}

/**
 * Checks and creates the re-run job in one transaction. `artifactsExist` is asked (outside the transaction's reads)
 * whether the earlier job's objects are still in the bucket.
 */
export async function startRerun(opts: {
  uid: string;
  memoryId: string;
  stage: string;
  /** The job's phase while the stage waits to run, and the stages upstream of it (pipeline/definition.ts). */
  phase: string;
  upstream: readonly string[];
  now: Date;
  staleAfterMs: number;
  retentionMs: number;
  artifactsExist: (pp: Postprocessing) => Promise<boolean>;
  /** Fair use: the caps a re-run's audio counts against, and how many re-runs a memory may start per hour. */
  fairUse: Config["fairUse"];
  rerunsPerHour: number;
}): Promise<StartedRerun> {
  const ref = db().doc(memoryPath(opts.uid, opts.memoryId));
  const before = await ref.get();
  const beforePp = readPostprocessing(before.data());
  const refusal = refusalForRerun(before.data(), beforePp, opts.stage, opts.now, opts);
  if (refusal) throw new JobRefusedError(refusal);
  if (opts.stage === "identify" && !(await opts.artifactsExist(beforePp!))) {
    throw new JobRefusedError({
      code: "artifacts_expired",
      message:
        "The audio this memory's job kept for re-runs is gone (swept after its retention); upload the audio again.",
    });
  }
  return db().runTransaction(async (tx) => {
    const [snap, usage] = await Promise.all([tx.get(ref), readUsage(tx, opts.uid)]);
    const pp = readPostprocessing(snap.data());
    const again = refusalForRerun(snap.data(), pp, opts.stage, opts.now, opts);
    if (again) throw new JobRefusedError(again);
    if (pp?.job_id !== beforePp?.job_id) {
      throw new JobRefusedError({ code: "job_in_progress", message: "Another job started on this memory meanwhile." });
    }
    const jobId = newJobId();
    // A re-run pays its providers again: it counts against the memory's hourly re-runs and the user's fair use.
    const limited = countRerun(tx, usage, opts.uid, opts.memoryId, opts.now, opts.rerunsPerHour);
    if (limited) throw new JobRefusedError(limited);
    const entry = { seconds: pp!.audio.duration_s ?? 0, kind: "rerun" as const, exact: true };
    const overUse = countNewJob(tx, usage, { ...opts, jobId }, entry, opts.now, opts.fairUse);
    if (overUse) throw new JobRefusedError(overUse);
    const postprocessing = buildRerunPostprocessing(
      pp!,
      opts.stage,
      { jobId, phase: opts.phase, upstream: opts.upstream },
      opts.now,
    );
    tx.update(ref, { postprocessing });
    return { jobId, memory: { ...snap.data(), postprocessing } };
  });
}
