/**
 * Stage `prepare_audio` (storage finalize on the post-processing bucket): check the upload is real audio, keep a
 * recording copy for resumable uploads when allowed, decode to 16 kHz mono WAV, measure it, cancel cut-off uploads,
 * and hand the job to transcription.
 */
import { join } from "node:path";
import type { DocumentData } from "firebase-admin/firestore";
import { normalizeToWav16kMono } from "../audio/normalize.js";
import { SNIFF_BYTES, sniffAudioFormat, SUPPORTED_FORMATS_TEXT } from "../audio/sniff.js";
import { withTempDir } from "../audio/tempDir.js";
import { DERIVED_OBJECT_TAG, type Config } from "../config.js";
import { permanent } from "../errors.js";
import * as logs from "../logs.js";
import { uploadMetadataSchema, type JobMessage, type JobRef } from "../model/job.js";
import type { TranscriptSegment } from "../model/transcript.js";
import { runStage, type StageDeps } from "../pipeline/runStage.js";
import { endJob } from "../pipeline/stageState.js";
import { bucket, db } from "../store/firebase.js";
import { readPostprocessing } from "../store/jobs.js";
import { memoryPath } from "../store/paths.js";
import { derivedMetadata } from "../store/objects.js";
import { normalizedObjectName } from "../store/objectNames.js";
import { confirmKept, deleteReplacedRecording } from "../store/keepAudio.js";
import { releaseUsage, settleUsage } from "../store/usage.js";
import { audioStorageGrant } from "../store/users.js";

const STAGE = "prepare_audio" as const;

/** Failures that mean the upload is not a recording at all: it is deleted rather than kept until retention. */
const REFUSED_UPLOAD = new Set([
  "unsupported_media_type",
  "payload_too_large",
  "audio_too_long",
  "undecodable_audio",
  "upload_size_mismatch",
  // Not stored either: the user is over a fair-use cap (the upload could not be counted before it arrived).
  "fair_use_exceeded",
]);

/** What the storage trigger tells us about the finalized object. */
export interface FinalizedObject {
  bucket: string;
  name: string;
  generation?: string | number;
  size?: string | number;
  metadata?: Record<string, string> | null;
}

/** Span of the memory's existing transcript (seconds), 0 when it has none. */
export function transcriptSpanSeconds(segments: Partial<TranscriptSegment>[] | undefined): number {
  if (!segments?.length) return 0;
  const starts = segments.map((s) => Number(s.start)).filter(Number.isFinite);
  const ends = segments.map((s) => Number(s.end)).filter(Number.isFinite);
  if (!starts.length || !ends.length) return 0;
  return Math.max(0, Math.max(...ends) - Math.min(...starts));
}

/** The shortest audio this memory accepts: a cut-off upload must not replace a longer transcript. */
export function minimumAudioSeconds(
  memory: DocumentData | undefined,
  config: Pick<Config, "minAudioSeconds" | "transcriptShortfallSeconds">,
): number {
  const span = transcriptSpanSeconds(memory?.transcript_segments as Partial<TranscriptSegment>[] | undefined);
  return Math.max(config.minAudioSeconds, span - config.transcriptShortfallSeconds);
}

export async function prepareAudio(object: FinalizedObject, deps: StageDeps): Promise<void> {
  const { config } = deps;
  const ctx = { eventId: deps.eventId };
  if (object.bucket !== config.postprocessingBucket) return logs.objectIgnored(ctx, "other_bucket", object.name);
  if (object.metadata?.[DERIVED_OBJECT_TAG]) return logs.objectIgnored(ctx, "pipeline_output", object.name);
  const meta = uploadMetadataSchema.safeParse(object.metadata ?? {});
  if (!meta.success) return logs.objectIgnored(ctx, "no_job_metadata", object.name);

  const job: JobRef = { uid: meta.data.uid, memoryId: meta.data.memoryId, jobId: meta.data.jobId };
  const idempotencyKey = `${object.bucket}/${object.name}#${object.generation ?? "0"}`;
  const failure = await runStage({ job, stage: STAGE, idempotencyKey, deps }, async ({ memory, pp }) => {
    const declared = meta.data.uploadedVia === "resumable" ? (pp.audio.size_bytes ?? null) : null;
    const outcome = await prepare(
      object,
      job,
      memory,
      pp.audio.recording_object,
      meta.data.uploadedVia,
      declared,
      config,
    );
    if (outcome.kind === "too_short") {
      const reason =
        `audio_too_short: ${outcome.durationS.toFixed(1)} s of audio is shorter than the ` +
        `${outcome.minimumS.toFixed(1)} s this memory needs`;
      await releaseUsage(job);
      return { kind: "ended", status: "canceled", reason };
    }
    // Fair use counts the measured duration; an upload accepted without knowing it may not fit after all.
    const overUse = await settleUsage(job, outcome.durationS, deps.now(), config.fairUse);
    if (overUse) throw permanent("fair_use_exceeded", overUse.message);
    return {
      kind: "done",
      // The kept recording's reference is never written here: the keep confirmed it in its own transaction, and
      // rewriting a value read earlier could bring back one a concurrent DELETE of the user's recordings cleared.
      patch: {
        "postprocessing.audio.normalized_object": outcome.normalizedObject,
        "postprocessing.audio.duration_s": outcome.durationS,
        "postprocessing.audio.size_bytes": outcome.sizeBytes,
      },
      summary: { durationS: outcome.durationS },
    };
  });
  // Something that is not audio, too large, or a decode bomb is not kept, even for the retention period, and is not
  // a recording either.
  if (failure && REFUSED_UPLOAD.has(failure)) {
    await Promise.all([
      bucket(object.bucket).file(object.name).delete({ ignoreNotFound: true }),
      bucket(config.recordingsBucket).file(object.name).delete({ ignoreNotFound: true }),
    ]);
    await clearRecordingReference(job, object.name);
    await releaseUsage(job);
    logs.uploadDiscarded({ ...job, stage: STAGE, eventId: deps.eventId }, failure, object.name);
  }
}

/** The memory no longer names a kept recording that was deleted (if it still names that one). */
async function clearRecordingReference(job: JobRef, name: string): Promise<void> {
  const ref = db().doc(memoryPath(job.uid, job.memoryId));
  const field = "postprocessing.audio.recording_object";
  await db().runTransaction(async (tx) => {
    if ((await tx.get(ref)).get(field) === name) tx.update(ref, { [field]: null });
  });
}

type PrepareOutcome =
  | { kind: "ready"; normalizedObject: string; durationS: number; recordingObject: string | null; sizeBytes: number }
  | { kind: "too_short"; durationS: number; minimumS: number };

async function prepare(
  object: FinalizedObject,
  job: JobRef,
  memory: DocumentData,
  recordingObject: string | null,
  uploadedVia: "multipart" | "resumable",
  declaredBytes: number | null,
  config: Config,
): Promise<PrepareOutcome> {
  const source = bucket(object.bucket).file(
    object.name,
    object.generation ? { generation: Number(object.generation) } : {},
  );
  // Multipart uploads were sniffed and size-checked by the API; resumable ones arrive unchecked. Both checks happen
  // before the download: the size from the event, the content from the first bytes only.
  const sizeBytes = Number(object.size ?? (await source.getMetadata())[0].size);
  if (!(sizeBytes <= config.maxResumableUploadBytes)) {
    throw permanent("payload_too_large", `The upload is larger than ${config.maxResumableUploadBytes} bytes.`);
  }
  // A resumable session was opened for an exact size: anything else is not the upload that was declared.
  if (declaredBytes !== null && sizeBytes !== declaredBytes) {
    throw permanent(
      "upload_size_mismatch",
      `The upload has ${sizeBytes} bytes; its session was opened for ${declaredBytes} bytes.`,
    );
  }
  const [head] = await source.download({ start: 0, end: SNIFF_BYTES - 1 });
  const format = await sniffAudioFormat(head);
  if (!format) throw permanent("unsupported_media_type", `The uploaded file is not ${SUPPORTED_FORMATS_TEXT}.`);

  return withTempDir("prepare-audio", async (dir): Promise<PrepareOutcome> => {
    const inputPath = join(dir, `input.${format.ext}`);
    await source.download({ destination: inputPath });
    const wavPath = join(dir, "normalized.wav");
    const { durationS } = await normalizeToWav16kMono(inputPath, wavPath, {
      format: format.ext,
      maxSeconds: config.maxAudioSeconds,
    });
    const minimumS = minimumAudioSeconds(memory, config);
    if (durationS < minimumS) return { kind: "too_short", durationS, minimumS };

    const normalizedObject = normalizedObjectName(job);
    await bucket(config.postprocessingBucket).upload(wavPath, {
      destination: normalizedObject,
      resumable: false,
      metadata: { contentType: "audio/wav", metadata: derivedMetadata(job, "normalized") },
    });
    // Only audio that decodes is kept as a recording (no orphans of broken uploads).
    const kept =
      uploadedVia === "resumable"
        ? await keepRecordingIfAllowed(object, job, recordingObject, config)
        : recordingObject;
    return { kind: "ready", normalizedObject, durationS, recordingObject: kept, sizeBytes };
  });
}

/**
 * Resumable uploads go only to the post-processing bucket; copy them to recordings if the user allows storage now.
 * The copy is confirmed against that permission (store/keepAudio.ts), and the confirmation stores the memory's
 * reference; the recording of an earlier job it replaces is then deleted.
 */
async function keepRecordingIfAllowed(
  object: FinalizedObject,
  job: JobRef,
  previous: string | null,
  config: Config,
): Promise<string | null> {
  const grant = await audioStorageGrant(job.uid);
  if (!grant.allowed || previous === object.name) return previous;
  const kept = bucket(config.recordingsBucket).file(object.name);
  await bucket(object.bucket).file(object.name).copy(kept);
  const memoryRef = db().doc(memoryPath(job.uid, job.memoryId));
  const stored = await confirmKept(job.uid, grant, kept, {
    store: async (tx) => {
      if ((await tx.get(memoryRef)).get("postprocessing.job_id") !== job.jobId) return;
      tx.update(memoryRef, { "postprocessing.audio.recording_object": object.name });
    },
  });
  if (!stored) return previous;
  if (previous) await deleteReplacedRecording(job.uid, config.recordingsBucket, previous);
  return object.name;
}

/**
 * The re-drive of `prepare_audio` (a storage event cannot be replayed): runs the stage on the job's upload as it is
 * in the bucket now. An upload that never arrived (an abandoned resumable session) cancels the job once it is stale.
 */
export async function redrivePrepareAudio(message: JobMessage, deps: StageDeps): Promise<void> {
  const snap = await db().doc(memoryPath(message.uid, message.memoryId)).get();
  const pp = readPostprocessing(snap.data());
  if (!pp || pp.job_id !== message.jobId) return logs.stageSkipped({ ...message, stage: STAGE }, "job_superseded");
  const file = bucket(deps.config.postprocessingBucket).file(pp.audio.postprocessing_object);
  const [exists] = await file.exists();
  if (!exists) {
    const age = deps.now().getTime() - Date.parse(pp.created_at);
    if (age > deps.config.jobStaleAfterMs) {
      const reason = "upload_missing: the recording was never uploaded to its session";
      if (await endJob(message, STAGE, "canceled", reason, deps.now(), { states: ["pending"] }))
        logs.jobCanceled({ ...message, stage: STAGE }, reason);
    }
    return;
  }
  const [meta] = await file.getMetadata();
  await prepareAudio(
    {
      bucket: deps.config.postprocessingBucket,
      name: file.name,
      generation: meta.generation,
      size: meta.size,
      metadata: (meta.metadata ?? {}) as Record<string, string>,
    },
    deps,
  );
}
