/**
 * The safety net run every few minutes: (1) FAL requests whose webhook is overdue are polled and, when finished,
 * completed the same way the webhook would; (2) pending stages whose message was lost, or whose backoff has passed,
 * are re-driven by publishing their message again (stages are idempotent, so a spare message is harmless).
 */
import type { QueryDocumentSnapshot } from "firebase-admin/firestore";
import type { Config } from "../config.js";
import { PipelineError } from "../errors.js";
import * as logs from "../logs.js";
import type { JobRef, Postprocessing, StageName } from "../model/job.js";
import { PIPELINE } from "../pipeline/definition.js";
import { endJob, updateStage } from "../pipeline/stageState.js";
import type { QueuedTranscriber } from "../providers/transcriber/types.js";
import { applyQueuedOutcome, type AppliedOutcome } from "../stages/transcriptionResult.js";
import { db } from "../store/firebase.js";
import { readPostprocessing } from "../store/jobs.js";
import { publishJobMessage } from "../store/publish.js";

/** Stages fed by Pub/Sub, which a lost message can stall. */
const STAGE_TOPICS = PIPELINE.flatMap((s) => (s.trigger.kind === "topic" ? [[s.name, s.trigger.topic] as const] : []));

export interface RecoveryDeps {
  config: Config;
  /** The queued transcriber (FAL) to poll, built only when a job waits on it. */
  transcriber: () => Promise<QueuedTranscriber>;
  now: Date;
}

export interface RecoveryReport {
  polled: { memoryId: string; status: string; applied?: AppliedOutcome }[];
  redriven: { memoryId: string; stage: StageName }[];
  failed: string[];
}

export async function recoverStalledJobs(deps: RecoveryDeps): Promise<RecoveryReport> {
  const report: RecoveryReport = { polled: [], redriven: [], failed: [] };
  const running = await db().collectionGroup("memories").where("postprocessing.status", "==", "in_progress").get();
  for (const doc of running.docs) {
    const job = jobRefOf(doc);
    if (!job) continue;
    try {
      const pp = readPostprocessing(doc.data())!;
      await pollOverdueFalRequest(job, pp, deps, report);
      await redrivePendingStages(job, pp, deps, report);
    } catch (err) {
      // One broken job must not stop the sweep; a transient FAL error is simply tried again next run.
      logs.requestFailed({ ...job, stage: "recovery" }, err);
    }
  }
  return report;
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
  const requestId = stage.provider_request_id;
  const ctx = { ...job, stage: "transcribe" };
  if (stage.submitted_at && deps.now.getTime() - Date.parse(stage.submitted_at) > deps.config.falMaxWaitMs) {
    await endJob(
      job,
      "transcribe",
      "failed",
      `fal_timeout: no result for request ${requestId} after ${Math.round(deps.config.falMaxWaitMs / 60_000)} minutes`,
      deps.now,
    );
    report.failed.push(job.memoryId);
    return;
  }
  let status: string;
  try {
    status = await (await deps.transcriber()).status(requestId);
  } catch (err) {
    if (err instanceof PipelineError && !err.retryable) {
      await endJob(job, "transcribe", "failed", `${err.code}: ${err.message}`, deps.now);
      report.failed.push(job.memoryId);
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
  await updateStage(job, "transcribe", `fal:${requestId}`, {
    lease_expires_at: new Date(deps.now.getTime() + deps.config.falWebhookGraceMs).toISOString(),
  });
  report.polled.push({ memoryId: job.memoryId, status });
}

async function redrivePendingStages(
  job: JobRef,
  pp: Postprocessing,
  deps: { config: Config; now: Date },
  report: RecoveryReport,
) {
  const idleMs = deps.now.getTime() - Date.parse(pp.updated_at);
  for (const [name, topic] of STAGE_TOPICS) {
    const stage = pp.stages[name];
    if (!stage) continue;
    const due = stage.retry_at ? Date.parse(stage.retry_at) <= deps.now.getTime() : idleMs > deps.config.stageLeaseMs;
    const stalledProcessing =
      stage.state === "processing" && stage.lease_expires_at && Date.parse(stage.lease_expires_at) < deps.now.getTime();
    if ((stage.state === "pending" && due) || stalledProcessing) {
      if (stage.retry_at) await updateStage(job, name, null, { retry_at: null });
      await publishJobMessage(topic, job);
      logs.stageRedriven({ ...job, stage: name }, topic);
      report.redriven.push({ memoryId: job.memoryId, stage: name });
    }
  }
}
