/**
 * One named function per event, so call sites read like prose and log-based metrics in the Cloud console can key on
 * `event`. Lines about a job carry the job's ids (uid, memoryId, jobId) and, inside a stage, `stage` and the
 * `eventId` of the delivery; results carry `outcome` and `durationMs`. Lines about no job (a sweep's summary, a
 * refused webhook) carry what they know.
 */
import { appendFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { logger as functionsLogger } from "firebase-functions";
import type { ProviderCall } from "./model/usage.js";

/**
 * firebase-functions' logger (structured JSON on stdout, which Cloud Logging parses into `jsonPayload`), plus a copy
 * of every line to LOG_TEE_FILE when that is set: the e2e run collects the lines the code really writes, and the
 * monitoring test checks every log-based metric's filter against them. Unset in production. See
 * docs/operations.md "Monitoring in the Cloud console".
 */
const tee = (severity: string) => (message: string, data: Record<string, unknown>) => {
  const file = process.env.LOG_TEE_FILE;
  if (!file) return;
  // Where Cloud Logging would file the line: a function's lines under its Cloud Run service (2nd gen). Lines from a
  // test process have none, as they never reach Cloud Logging.
  const service = process.env.FUNCTIONS_EMULATOR === "true" ? process.env.K_SERVICE : undefined;
  const resource = service ? { type: "cloud_run_revision", labels: { service_name: service.toLowerCase() } } : null;
  try {
    // Relative to the functions directory (this file is in src/ or lib/), whatever the process's cwd.
    appendFileSync(
      resolve(fileURLToPath(new URL("..", import.meta.url)), file),
      `${JSON.stringify({ severity, message, ...data, ...(resource ? { tee_resource: resource } : {}) })}\n`,
    );
  } catch {
    // A test aid only: never let it break the line being logged.
  }
};
const logger = {
  debug: (message: string, data: Record<string, unknown>) => {
    functionsLogger.debug(message, data);
    tee("DEBUG")(message, data);
  },
  info: (message: string, data: Record<string, unknown>) => {
    functionsLogger.info(message, data);
    tee("INFO")(message, data);
  },
  warn: (message: string, data: Record<string, unknown>) => {
    functionsLogger.warn(message, data);
    tee("WARNING")(message, data);
  },
  error: (message: string, data: Record<string, unknown>) => {
    functionsLogger.error(message, data);
    tee("ERROR")(message, data);
  },
};

/** The code before the first colon of a failure reason ("fal_rejected: …" → "fal_rejected"), for metric labels. */
export const reasonCode = (reason: string) => /^[a-z0-9_]+/.exec(reason)?.[0] ?? "other";

export interface LogContext {
  uid?: string;
  memoryId?: string;
  jobId?: string;
  stage?: string;
  eventId?: string;
  route?: string;
}

export const uploadAccepted = (
  ctx: LogContext,
  d: { format: string; sizeBytes: number; keepRecording: boolean; via: string },
) => logger.info("upload accepted", { ...ctx, event: "upload_accepted", outcome: "accepted", ...d });
/** A stage message that is not `{uid, memoryId, jobId}`: dropped, as no retry could ever succeed. */
export const badMessage = (ctx: LogContext, d: { topic: string; issue: string }) =>
  logger.error("malformed stage message dropped", { ...ctx, event: "bad_message", outcome: "dropped", ...d });
export const rerunStarted = (ctx: LogContext, stage: string) =>
  logger.info("stage re-run started", { ...ctx, event: "rerun_started", stage });
export const requestRefused = (ctx: LogContext, d: { status: number; code: string; message: string }) =>
  logger.warn("request refused", { ...ctx, event: "request_refused", outcome: "refused", ...d });
export const uploadStorageFailed = (ctx: LogContext, err: unknown) =>
  logger.error("upload could not be written to storage; job rolled back", {
    ...ctx,
    event: "upload_storage_failed",
    error: String(err),
  });
export const searchServed = (ctx: LogContext, d: { results: number; staleVectors: number; costUsd: number }) =>
  logger.info("search served", { ...ctx, event: "search_served", ...d });
export const requestFailed = (ctx: LogContext, err: unknown) =>
  logger.error("request failed", {
    ...ctx,
    event: "request_failed",
    error: err instanceof Error ? err.stack : String(err),
  });

export const malformedDocumentIgnored = (ctx: LogContext, what: string, problem: string) =>
  logger.warn("malformed document ignored", { ...ctx, event: "malformed_document_ignored", what, problem });

export const uploadDiscarded = (ctx: LogContext, reason: string, object: string) =>
  logger.warn("refused upload deleted", { ...ctx, event: "upload_discarded", reason, object });
export const objectIgnored = (ctx: LogContext, reason: string, name: string) =>
  logger.debug("object ignored", { ...ctx, event: "object_ignored", reason, object: name });
export const stageSkipped = (ctx: LogContext, reason: string) =>
  logger.info("stage skipped", { ...ctx, event: "stage_skipped", outcome: "skipped", reason });
export const stageStarted = (ctx: LogContext, attempt: number) =>
  logger.info("stage started", { ...ctx, event: "stage_started", attempt });
/**
 * Every delivery that started a stage ends with this line (however it ended: done, continued, failed, retried, or
 * finding the job gone), so "this delivery has finished" is a positive signal rather than a quiet spell.
 */
export const deliveryEnded = (ctx: LogContext, durationMs: number) =>
  logger.debug("delivery ended", { ...ctx, event: "delivery_ended", durationMs });
export const stageDone = (ctx: LogContext, durationMs: number, d: Record<string, unknown> = {}) =>
  logger.info("stage done", { ...ctx, event: "stage_done", outcome: "done", durationMs, ...d });
export const rerunHandOffFailed = (ctx: LogContext, err: unknown) =>
  logger.warn("re-run started; its first message is left to the re-drive", {
    ...ctx,
    event: "rerun_handoff_failed",
    error: String(err),
  });
export const stageContinued = (ctx: LogContext, reason: string) =>
  logger.info("stage continues in a new invocation", { ...ctx, event: "stage_continued", reason });
export const stageWarning = (ctx: LogContext, warning: string) =>
  logger.warn("stage warning", { ...ctx, event: "stage_warning", warning });
export const stageRetrying = (ctx: LogContext, durationMs: number, err: unknown) =>
  logger.warn("stage failed, will retry", {
    ...ctx,
    event: "stage_retry",
    outcome: "retry",
    durationMs,
    error: String(err),
  });
export const jobFailed = (ctx: LogContext, reason: string) =>
  logger.error("job failed", {
    ...ctx,
    event: "job_failed",
    outcome: "failed",
    reason,
    reasonCode: reasonCode(reason),
  });
export const jobCanceled = (ctx: LogContext, reason: string) =>
  logger.info("job canceled", {
    ...ctx,
    event: "job_canceled",
    outcome: "canceled",
    reason,
    reasonCode: reasonCode(reason),
  });
/** The job's required stages are all done: end-to-end time, and that time per second of audio. */
export const jobCompleted = (ctx: LogContext, d: { durationMs: number; audioSeconds: number | null }) =>
  logger.info("job completed", {
    ...ctx,
    event: "job_completed",
    outcome: "completed",
    durationMs: d.durationMs,
    audioSeconds: d.audioSeconds,
    ...(d.audioSeconds ? { msPerAudioSecond: Math.round(d.durationMs / d.audioSeconds) } : {}),
  });
export const messagePublished = (ctx: LogContext, topic: string, messageId: string) =>
  logger.info("message published", { ...ctx, event: "message_published", topic, messageId });

export const sweepFailed = (object: string, err: unknown) =>
  logger.error("sweep could not handle an object", {
    event: "sweep_failed",
    stage: "sweep",
    object,
    error: String(err),
  });
export const sweepFinished = (d: {
  scanned: number;
  deleted: number;
  kept: number;
  errors: number;
  durationMs: number;
}) => logger.info("expired audio sweep finished", { event: "sweep_finished", stage: "sweep", ...d });
export const sweepDeleted = (ctx: LogContext, object: string, ageHours: number) =>
  logger.info("expired audio deleted", { ...ctx, event: "sweep_deleted", stage: "sweep", object, ageHours });
export const sweepUnknownObject = (object: string) =>
  logger.warn("object without pipeline metadata left alone", { event: "sweep_unknown_object", stage: "sweep", object });

export const falSubmitted = (ctx: LogContext, requestId: string) =>
  logger.info("submitted to FAL", { ...ctx, event: "fal_submitted", requestId });
export const falWebhookIgnored = (ctx: LogContext, requestId: string, reason: string) =>
  logger.warn("FAL webhook ignored", { ...ctx, event: "fal_webhook_ignored", requestId, reason });
export const falRequestAdopted = (ctx: LogContext, requestId: string) =>
  logger.warn("FAL request adopted from its webhook (its id was never stored)", {
    ...ctx,
    event: "fal_request_adopted",
    requestId,
  });
export const falWebhookRejected = (reason: string) =>
  logger.warn("FAL webhook rejected", { event: "fal_webhook_rejected", reason });
export const falPolled = (ctx: LogContext, requestId: string, status: string) =>
  logger.info("polled FAL", { ...ctx, event: "fal_polled", requestId, status });
export const localChunkDone = (ctx: LogContext, index: number, total: number, words: number, durationMs: number) =>
  logger.info("local transcription chunk done", {
    ...ctx,
    event: "local_chunk_done",
    chunk: index,
    chunks: total,
    words,
    durationMs,
  });
export const providerCallRecorded = (ctx: LogContext, call: ProviderCall) =>
  logger.info("paid provider call", {
    ...ctx,
    event: "provider_call",
    provider: call.provider,
    kind: call.kind,
    model: call.model,
    audioSeconds: call.audio_seconds,
    inputTokens: call.input_tokens,
    outputTokens: call.output_tokens,
    costUsd: call.estimated_cost_usd,
  });
export const recoveryFinished = (d: {
  scanned: number;
  polled: number;
  redriven: number;
  failed: number;
  deferred: number;
  errors: number;
}) => logger.info("stalled-job recovery finished", { event: "recovery_finished", stage: "recovery", ...d });
export const notificationRecorded = (
  ctx: LogContext,
  d: { delivery: string; emotion: string; tokens: number; sent: number },
) => logger.info("notification recorded", { ...ctx, event: "notification_recorded", ...d });
export const stageRedriven = (ctx: LogContext, topic: string) =>
  logger.warn("stage re-driven", { ...ctx, event: "stage_redriven", topic });

export const speakerModelFetched = (d: { uri: string; sha256: string; bytes: number; durationMs: number }) =>
  logger.info("speaker model fetched", { event: "speaker_model_fetched", ...d });
export const speakerCalibrationMissing = (d: { model: string; calibration: string }) =>
  logger.warn("speaker model has no calibration: plain cosine at a pinned SPEAKER_MATCH_THRESHOLD or the default", {
    event: "speaker_calibration_missing",
    ...d,
  });
export const speakerProfileReembedded = (ctx: LogContext, d: { profile: string; fromModel: string; toModel: string }) =>
  logger.info("speaker profile re-embedded for a new model", { ...ctx, event: "speaker_profile_reembedded", ...d });
export const speakerProfileNeedsReenrollment = (
  ctx: LogContext,
  d: { profile: string; fromModel: string; toModel: string; why: string },
) => logger.warn("speaker profile needs re-enrollment", { ...ctx, event: "speaker_profile_needs_reenrollment", ...d });

export const speakerAssigned = (
  ctx: LogContext,
  d: { target: string; segments: number; source: string; speechSeconds: number },
) => logger.info("speaker named by the user; voice taught", { ...ctx, event: "speaker_assigned", ...d });

export const recordingPermissionSet = (ctx: LogContext, d: { value: boolean; before: boolean }) =>
  logger.info("recording permission set", { ...ctx, event: "recording_permission_set", ...d });
export const keptAudioRevoked = (ctx: LogContext, object: string) =>
  logger.warn("kept audio deleted: storage was revoked while it was written", {
    ...ctx,
    event: "kept_audio_revoked",
    object,
  });
export const voiceSampleDeleted = (ctx: LogContext, object: string) =>
  logger.info("voice sample audio deleted: no profile refers to it", { ...ctx, event: "voice_sample_deleted", object });
export const replacedRecordingDeleted = (ctx: LogContext, object: string) =>
  logger.info("replaced recording deleted", { ...ctx, event: "replaced_recording_deleted", object });
export const recordingsDeleted = (
  ctx: LogContext,
  d: {
    count: number;
    bytes: number;
    failed: number;
    memoriesCleared: number;
    voiceSamplesCleared: number;
    auditId: string;
    durationMs: number;
  },
) =>
  logger.info("kept recordings deleted", {
    ...ctx,
    event: "recordings_deleted",
    outcome: d.failed ? "incomplete" : "deleted",
    ...d,
  });
export const recordingDeleteFailed = (ctx: LogContext, object: string, err: unknown) =>
  logger.error("kept recording could not be deleted", {
    ...ctx,
    event: "recording_delete_failed",
    object,
    error: String(err),
  });
export const recordingsDeletionFailed = (ctx: LogContext, err: unknown) =>
  logger.error("deleting kept recordings did not finish", {
    ...ctx,
    event: "recordings_deletion_failed",
    outcome: "failed",
    error: err instanceof Error ? err.stack : String(err),
  });

/** The recovery run found a job quiet for more than STUCK_AFTER_LEASES stage leases (it re-drives it too). */
export const jobStuck = (ctx: LogContext, d: { idleMinutes: number; stalledStage: string }) =>
  logger.warn("job stuck", { ...ctx, event: "job_stuck", ...d });

/** One line per erasure pass (store/erasure.ts): what it removed. `user_data_erased` is the account deletion. */
export const dataErased = (
  t: { kind: "user" | "memory"; uid: string; memoryId?: string; eventId?: string; how?: string },
  d: { recordingObjects: number; processingObjects: number; documents: number; pass: number },
) =>
  logger.info(t.kind === "user" ? "user data erased" : "memory data erased", {
    uid: t.uid,
    memoryId: t.kind === "memory" ? t.memoryId : undefined,
    eventId: t.eventId,
    how: t.how,
    stage: "erasure",
    event: t.kind === "user" ? "user_data_erased" : "memory_data_erased",
    ...d,
  });

/** The daily bucket audit (scheduled/auditBuckets.ts): one line per run with counts by kind. */
export const bucketAuditFinished = (d: {
  scanned: number;
  orphansDeleted: number;
  orphansByKind: Record<string, number>;
  keptYoung: number;
  errors: number;
  done: boolean;
  durationMs: number;
}) => logger.info("bucket audit finished", { event: "bucket_audit_finished", stage: "audit", ...d });
export const orphanDeleted = (ctx: LogContext, d: { bucket: string; object: string; kind: string; ageHours: number }) =>
  logger.warn("orphaned object deleted", { ...ctx, event: "orphan_deleted", stage: "audit", ...d });
