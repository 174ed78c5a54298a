/**
 * Stage `prepare_audio` (storage finalize on the post-processing bucket): check the upload is real audio, keep a
 * recording copy for resumable uploads when allowed, decode to 16 kHz mono WAV, measure it, cancel cut-off uploads,
 * and hand the job to transcription.
 */
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import type { DocumentData } from "firebase-admin/firestore";
import { normalizeToWav16kMono } from "../audio/normalize.js";
import { SNIFF_BYTES, sniffAudioFormat, SUPPORTED_FORMATS_TEXT } from "../audio/sniff.js";
import { withTempDir } from "../audio/tempDir.js";
import { DERIVED_OBJECT_TAG, type Config } from "../config.js";
import { permanent } from "../errors.js";
import * as logs from "../logs.js";
import { uploadMetadataSchema, type JobRef } from "../model/job.js";
import type { TranscriptSegment } from "../model/transcript.js";
import { runStage, type StageDeps } from "../pipeline/runStage.js";
import { bucket } from "../store/firebase.js";
import { derivedMetadata } from "../store/objects.js";
import { normalizedObjectName } from "../store/objectNames.js";
import { allowsAudioStorage } from "../store/users.js";

const STAGE = "prepare_audio" as const;

/** What the storage trigger tells us about the finalized object. */
export interface FinalizedObject {
  bucket: string;
  name: string;
  generation?: string | number;
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
    const outcome = await prepare(object, job, memory, pp.audio.recording_object, meta.data.uploadedVia, config);
    if (outcome.kind === "too_short") {
      const reason =
        `audio_too_short: ${outcome.durationS.toFixed(1)} s of audio is shorter than the ` +
        `${outcome.minimumS.toFixed(1)} s this memory needs`;
      return { kind: "ended", status: "canceled", reason };
    }
    return {
      kind: "done",
      patch: {
        "postprocessing.audio.normalized_object": outcome.normalizedObject,
        "postprocessing.audio.duration_s": outcome.durationS,
        "postprocessing.audio.recording_object": outcome.recordingObject,
        "postprocessing.audio.size_bytes": outcome.sizeBytes,
      },
      summary: { durationS: outcome.durationS },
    };
  });
  // Something that is not audio is not kept, even for the retention period.
  if (failure === "unsupported_media_type")
    await bucket(object.bucket).file(object.name).delete({ ignoreNotFound: true });
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
  config: Config,
): Promise<PrepareOutcome> {
  return withTempDir("prepare-audio", async (dir): Promise<PrepareOutcome> => {
    const source = bucket(object.bucket).file(
      object.name,
      object.generation ? { generation: Number(object.generation) } : {},
    );
    const inputPath = join(dir, "input");
    await source.download({ destination: inputPath });
    const { size: sizeBytes } = await stat(inputPath);

    // Multipart uploads were sniffed and size-checked by the API; resumable ones arrive unchecked.
    const head = await readHead(inputPath);
    if (!(await sniffAudioFormat(head)))
      throw permanent("unsupported_media_type", `The uploaded file is not ${SUPPORTED_FORMATS_TEXT}.`);
    if (sizeBytes > config.maxResumableUploadBytes) {
      throw permanent("payload_too_large", `The upload is larger than ${config.maxResumableUploadBytes} bytes.`);
    }

    const kept = uploadedVia === "resumable" ? await keepRecordingIfAllowed(object, job, config) : recordingObject;

    const wavPath = join(dir, "normalized.wav");
    const { durationS } = await normalizeToWav16kMono(inputPath, wavPath);
    const minimumS = minimumAudioSeconds(memory, config);
    if (durationS < minimumS) return { kind: "too_short", durationS, minimumS };

    const normalizedObject = normalizedObjectName(job);
    await bucket(config.postprocessingBucket).upload(wavPath, {
      destination: normalizedObject,
      resumable: false,
      metadata: { contentType: "audio/wav", metadata: derivedMetadata(job, "normalized") },
    });
    return { kind: "ready", normalizedObject, durationS, recordingObject: kept, sizeBytes };
  });
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Resumable uploads go only to the post-processing bucket; copy them to recordings if the user allows storage. */
async function keepRecordingIfAllowed(object: FinalizedObject, job: JobRef, config: Config): Promise<string | null> {
  if (!(await allowsAudioStorage(job.uid))) return null;
  await bucket(object.bucket).file(object.name).copy(bucket(config.recordingsBucket).file(object.name));
  return object.name;
}
