/**
 * The safety net run every few minutes over jobs that have not moved for a while (an indexed query on
 * `postprocessing.status` + `postprocessing.updated_at`, paged, reading only the job field, a bounded number of jobs at
 * a time): (1) FAL requests whose webhook is overdue are polled and, when finished, completed the way the webhook
 * would; (2) every stage, storage-triggered ones included, that is stalled — pending with its message lost or its
 * backoff over, processing past its lease (the instance died), or done with its hand-off never recorded — is re-driven
 * by publishing its job again (stages are idempotent, so a spare message is harmless).
 */
import type { QueryDocumentSnapshot } from "firebase-admin/firestore";
import pLimit from "p-limit";
import type { Config } from "../config.js";
import { PipelineError } from "../errors.js";
import * as logs from "../logs.js";
import type { JobRef, Postprocessing } from "../model/job.js";
import { PIPELINE, redriveTopicOf, type StageName } from "../pipeline/definition.js";
import { jobProgress, jobProgressExpectedMs, measureSpeed } from "../pipeline/progress.js";
import { endJob, updateStage } from "../pipeline/stageState.js";
import { falCallBudgetMs } from "../providers/transcriber/fal.js";
import type { QueuedTranscriber } from "../providers/transcriber/types.js";
import { applyQueuedOutcome, retryDelayMs, type AppliedOutcome } from "../stages/transcriptionResult.js";
import { db } from "../store/firebase.js";
import { readPostprocessing } from "../store/jobs.js";
import { publishJobMessage } from "../store/publish.js";
import { readSpeed, recentJobTimings, writeSpeed } from "../store/speedStats.js";

const PAGE_SIZE = 200;
/** A job quiet for longer than this many stage leases is reported as stuck (log `job_stuck`, alert "stuck-jobs"). */
export const STUCK_AFTER_LEASES = 3;
const CONCURRENCY = 8;

export interface RecoveryDeps {
  config: Config;
  /** The queued transcriber (FAL) to poll, built only when a job waits on it. */
  transcriber: () => Promise<QueuedTranscriber>;
  now: Date;
  /** When the run must stop starting FAL polls (its timeout, less a margin); polls left over wait for the next run. */
  deadline?: Date;
}

export interface RecoveryReport {
  scanned: number;
  polled: { memoryId: string; status: string; applied?: AppliedOutcome }[];
  redriven: { memoryId: string; stage: StageName }[];
  failed: string[];
  /** Overdue FAL requests not polled this run: the run's time was up (the next run polls them). */
  deferred: number;
  errors: number;
}

export async function recoverStalledJobs(deps: RecoveryDeps): Promise<RecoveryReport> {
  const report: RecoveryReport = { scanned: 0, polled: [], redriven: [], failed: [], deferred: 0, errors: 0 };
  // Nothing younger than the shortest wait can be stalled yet: a lease, FAL's webhook grace, or the first backoff
  // (halved: a backoff is measured from when the failure was recorded, a moment before the job's updated_at).
  const quietFor = Math.min(deps.config.stageLeaseMs, deps.config.falWebhookGraceMs, retryDelayMs(1) / 2);
  const cutoff = new Date(deps.now.getTime() - quietFor).toISOString();
  const limit = pLimit(CONCURRENCY);
  // Running jobs, then completed jobs whose optional stage (emotion) is still open.
  await forEachQuiet("postprocessing.status", "in_progress", cutoff, (doc) =>
    limit(() => recoverJob(doc, deps, report)),
  );
  await forEachQuiet("postprocessing.optional_open", true, cutoff, (doc) =>
    doc.get("postprocessing.status") === "completed" ? limit(() => recoverJob(doc, deps, report)) : Promise.resolve(),
  );
  await refreshSpeed(deps.now).catch((err: unknown) => logs.requestFailed({ stage: "recovery" }, err));
  logs.recoveryFinished({
    scanned: report.scanned,
    polled: report.polled.length,
    redriven: report.redriven.length,
    failed: report.failed.length,
    deferred: report.deferred,
    errors: report.errors,
  });
  return report;
}

/** Pages through the memories whose `field` equals `value` and whose job has not moved since `cutoff`. */
async function forEachQuiet(
  field: string,
  value: unknown,
  cutoff: string,
  visit: (doc: QueryDocumentSnapshot) => Promise<void>,
): Promise<void> {
  let last: QueryDocumentSnapshot | undefined;
  for (;;) {
    let query = db()
      .collectionGroup("memories")
      .where(field, "==", value)
      .where("postprocessing.updated_at", "<=", cutoff)
      .orderBy("postprocessing.updated_at")
      .select("postprocessing")
      .limit(PAGE_SIZE);
    if (last) query = query.startAfter(last);
    const page = await query.get();
    await Promise.all(page.docs.map(visit));
    if (page.size < PAGE_SIZE) return;
    last = page.docs.at(-1);
  }
}

async function recoverJob(doc: QueryDocumentSnapshot, deps: RecoveryDeps, report: RecoveryReport): Promise<void> {
  report.scanned += 1;
  const job = jobRefOf(doc);
  if (!job) return;
  try {
    const pp = readPostprocessing(doc.data())!;
    const idleMs = deps.now.getTime() - Date.parse(pp.updated_at);
    if (idleMs > STUCK_AFTER_LEASES * deps.config.stageLeaseMs) {
      const stalled = PIPELINE.find(({ name }) => isStalled(pp, name, deps.now, deps.config.stageLeaseMs))?.name;
      logs.jobStuck(job, { idleMinutes: Math.round(idleMs / 60_000), stalledStage: stalled ?? pp.phase });
    }
    await pollOverdueFalRequest(job, pp, deps, report);
    await redriveStalledStages(job, pp, deps, report);
  } catch (err) {
    // One broken job must not stop the run; a transient FAL error is simply tried again next run.
    report.errors += 1;
    logs.requestFailed({ ...job, stage: "recovery" }, err);
  }
}

function jobRefOf(doc: QueryDocumentSnapshot): JobRef | null {
  const uid = doc.ref.parent.parent?.id;
  const jobId = doc.get("postprocessing.job_id") as string | undefined;
  return uid && jobId ? { uid, memoryId: doc.id, jobId } : null;
}

async function pollOverdueFalRequest(job: JobRef, pp: Postprocessing, deps: RecoveryDeps, report: RecoveryReport) {
  const stage = pp.stages.transcribe;
  if (stage?.state !== "waiting" || !stage.provider_request_id) return;
  if (stage.lease_expires_at && Date.parse(stage.lease_expires_at) > deps.now.getTime()) return;
  // A poll (status, then perhaps the result) must fit in the run's remaining time, its retries included.
  const pollBudgetMs =
    falCallBudgetMs("status", deps.config.falTimeoutMs) + falCallBudgetMs("result", deps.config.falTimeoutMs);
  if (deps.deadline && Date.now() + pollBudgetMs > deps.deadline.getTime()) {
    report.deferred += 1;
    return;
  }
  const requestId = stage.provider_request_id;
  const ctx = { ...job, stage: "transcribe" };
  // This page may be stale by now: the job is ended only if the stage still waits on this very request.
  const fence = { states: ["waiting"], providerRequestId: requestId };
  if (stage.submitted_at && deps.now.getTime() - Date.parse(stage.submitted_at) > deps.config.falMaxWaitMs) {
    const minutes = Math.round(deps.config.falMaxWaitMs / 60_000);
    const reason = `fal_timeout: no result for request ${requestId} after ${minutes} minutes`;
    if (await endJob(job, "transcribe", "failed", reason, deps.now, fence)) {
      logs.jobFailed(ctx, reason);
      report.failed.push(job.memoryId);
    }
    return;
  }
  let status: string;
  try {
    status = await (await deps.transcriber()).status(requestId);
  } catch (err) {
    if (err instanceof PipelineError && !err.retryable) {
      const reason = `${err.code}: ${err.message}`;
      if (await endJob(job, "transcribe", "failed", reason, deps.now, fence)) {
        logs.jobFailed(ctx, reason);
        report.failed.push(job.memoryId);
      }
      return;
    }
    throw err;
  }
  logs.falPolled(ctx, requestId, status);
  if (status === "COMPLETED") {
    const applied = await applyQueuedOutcome(
      job,
      requestId,
      { ok: true, output: null },
      {
        config: deps.config,
        transcriber: await deps.transcriber(),
        now: () => deps.now,
      },
    );
    report.polled.push({ memoryId: job.memoryId, status, applied });
    return;
  }
  const lease = new Date(deps.now.getTime() + deps.config.falWebhookGraceMs).toISOString();
  // Still at FAL: its share of transcription by time waited against what transcription usually takes (at most 90 %).
  const speed = await readSpeed();
  const expectedMs = jobProgressExpectedMs(pp, speed, "transcribe");
  const waitedMs = deps.now.getTime() - Date.parse(stage.submitted_at ?? pp.updated_at);
  const progress = jobProgress(pp, speed, { stage: "transcribe", fraction: Math.min(0.9, waitedMs / expectedMs) });
  await updateStage(
    job,
    "transcribe",
    `fal:${requestId}`,
    { lease_expires_at: lease },
    { "postprocessing.progress": progress },
  );
  report.polled.push({ memoryId: job.memoryId, status });
}

/** Whether a stage of a running job is stalled and should get its message again. Pure. */
export function isStalled(pp: Postprocessing, name: StageName, now: Date, stageLeaseMs: number): boolean {
  const stage = pp.stages[name];
  if (!stage) return false;
  const t = now.getTime();
  const expired = (iso: string | null | undefined) => !iso || Date.parse(iso) <= t;
  const idle = t - Date.parse(pp.updated_at) > stageLeaseMs;
  switch (stage.state) {
    case "pending":
      return stage.retry_at ? expired(stage.retry_at) : idle;
    case "processing":
      return expired(stage.lease_expires_at);
    case "done":
      return stage.next_published !== true && expired(stage.lease_expires_at);
    default:
      return false;
  }
}

async function redriveStalledStages(job: JobRef, pp: Postprocessing, deps: RecoveryDeps, report: RecoveryReport) {
  for (const { name } of PIPELINE) {
    if (!isStalled(pp, name, deps.now, deps.config.stageLeaseMs)) continue;
    if (pp.stages[name]?.retry_at) await updateStage(job, name, null, { retry_at: null });
    const topic = redriveTopicOf(name);
    await publishJobMessage(topic, job);
    logs.stageRedriven({ ...job, stage: name }, topic);
    report.redriven.push({ memoryId: job.memoryId, stage: name });
  }
}

/** Re-measures the stages' speed (for progress estimates) from the ledgers of recently completed jobs. */
async function refreshSpeed(now: Date): Promise<void> {
  const jobs = await recentJobTimings();
  if (jobs.length) await writeSpeed(measureSpeed(jobs), jobs.length, now);
}
