/**
 * Stage `prepare_audio` (storage finalize on the post-processing bucket): check the upload is real audio, keep a
 * recording copy for resumable uploads when allowed, decode to 16 kHz mono WAV, measure it, cancel cut-off uploads,
 * and hand the job to transcription.
 */
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import type { DocumentData } from "firebase-admin/firestore";
import { DERIVED_OBJECT_TAG, TOPICS, type Config } from "../config.js";
import { permanent } from "../errors.js";
import { bucket } from "../firebase.js";
import * as logs from "../logs.js";
import { uploadMetadataSchema, type TranscriptSegment } from "../model.js";
import { normalizeToWav16kMono } from "../audio/normalize.js";
import { SNIFF_BYTES, sniffAudioFormat, SUPPORTED_FORMATS_TEXT } from "../audio/sniff.js";
import { normalizedObjectName } from "../store/paths.js";
import { allowsAudioStorage } from "../store/users.js";
import { withTempDir } from "../tempDir.js";
import { completeStage, endJob, type JobRef } from "../store/stages.js";
import { handOff } from "./handOff.js";
import { runStage, type StageDeps } from "./runStage.js";

const STAGE = "prepare_audio" as const;

export interface FinalizedObject {
  bucket: string;
  name: string;
  generation?: string | number;
  size?: string | number;
  metadata?: Record<string, string> | null;
}

export type PrepareAudioDeps = StageDeps;

/** Span of the memory's existing transcript (seconds), 0 when it has none. */
export function transcriptSpanSeconds(segments: Partial<TranscriptSegment>[] | undefined): number {
  if (!segments?.length) return 0;
  const starts = segments.map((s) => Number(s.start)).filter(Number.isFinite);
  const ends = segments.map((s) => Number(s.end)).filter(Number.isFinite);
  if (!starts.length || !ends.length) return 0;
  return Math.max(0, Math.max(...ends) - Math.min(...starts));
}

/** The shortest audio this memory accepts: a cut-off upload must not replace a longer transcript. */
export function minimumAudioSeconds(memory: DocumentData | undefined, config: Pick<Config, "minAudioSeconds" | "transcriptShortfallSeconds">): number {
  const span = transcriptSpanSeconds(memory?.transcript_segments as Partial<TranscriptSegment>[] | undefined);
  return Math.max(config.minAudioSeconds, span - config.transcriptShortfallSeconds);
}

export async function prepareAudio(object: FinalizedObject, deps: PrepareAudioDeps): Promise<void> {
  const { config } = deps;
  if (object.bucket !== config.postprocessingBucket) return logs.objectIgnored({ eventId: deps.eventId }, "other_bucket", object.name);
  if (object.metadata?.[DERIVED_OBJECT_TAG]) return logs.objectIgnored({ eventId: deps.eventId }, "pipeline_output", object.name);
  const meta = uploadMetadataSchema.safeParse(object.metadata ?? {});
  if (!meta.success) return logs.objectIgnored({ eventId: deps.eventId }, "no_job_metadata", object.name);

  const job: JobRef = { uid: meta.data.uid, memoryId: meta.data.memoryId, jobId: meta.data.jobId };
  const failure = await runStage(
    {
      job, stage: STAGE, idempotencyKey: `${object.bucket}/${object.name}#${object.generation ?? "0"}`, phase: "preparing_audio",
      nextTopics: () => [TOPICS.transcribe], deps,
    },
    async ({ memory, idempotencyKey, log, startedMs }) => {
      const outcome = await prepare(object, job, memory, meta.data.uploadedVia, config);
      if (outcome.kind === "too_short") {
        const reason = `audio_too_short: ${outcome.durationS.toFixed(1)} s of audio is shorter than the ${outcome.minimumS.toFixed(1)} s this memory needs`;
        await endJob(job, STAGE, "canceled", reason, deps.now());
        return logs.jobCanceled(log, reason);
      }
      const completed = await completeStage(job, STAGE, {
        idempotencyKey, now: deps.now(), phase: "awaiting_transcription", next: "transcribe",
        patch: {
          "postprocessing.audio.normalized_object": outcome.normalizedObject,
          "postprocessing.audio.duration_s": outcome.durationS,
          "postprocessing.audio.recording_object": outcome.recordingObject,
          "postprocessing.audio.size_bytes": outcome.sizeBytes,
        },
      });
      if (!completed) return logs.stageSkipped(log, "lost_lease");
      logs.stageDone(log, Date.now() - startedMs, { durationS: outcome.durationS });
      await handOff(job, STAGE, TOPICS.transcribe, log);
    },
  );
  // Something that is not audio is not kept, even for the retention period.
  if (failure === "unsupported_media_type") await bucket(object.bucket).file(object.name).delete({ ignoreNotFound: true });
}

type PrepareOutcome =
  | { kind: "ready"; normalizedObject: string; durationS: number; recordingObject: string | null; sizeBytes: number }
  | { kind: "too_short"; durationS: number; minimumS: number };

async function prepare(
  object: FinalizedObject,
  job: JobRef,
  memory: DocumentData | undefined,
  uploadedVia: "multipart" | "resumable",
  config: Config,
): Promise<PrepareOutcome> {
  return withTempDir("prepare-audio", async (dir): Promise<PrepareOutcome> => {
    const source = bucket(object.bucket).file(object.name, object.generation ? { generation: Number(object.generation) } : {});
    const inputPath = join(dir, "input");
    await source.download({ destination: inputPath });
    const { size: sizeBytes } = await stat(inputPath);

    // Multipart uploads were sniffed and size-checked by the API; resumable ones arrive unchecked.
    const head = await readHead(inputPath);
    if (!(await sniffAudioFormat(head))) throw permanent("unsupported_media_type", `The uploaded file is not ${SUPPORTED_FORMATS_TEXT}.`);
    if (sizeBytes > config.maxResumableUploadBytes) throw permanent("payload_too_large", `The upload is larger than ${config.maxResumableUploadBytes} bytes.`);

    const recordingObject = uploadedVia === "resumable" ? await keepRecordingIfAllowed(object, job, config) : ((memory?.postprocessing?.audio?.recording_object as string | null) ?? null);

    const wavPath = join(dir, "normalized.wav");
    const { durationS } = await normalizeToWav16kMono(inputPath, wavPath);
    const minimumS = minimumAudioSeconds(memory, config);
    if (durationS < minimumS) return { kind: "too_short", durationS, minimumS };

    const normalizedObject = normalizedObjectName(job.uid, job.memoryId, job.jobId);
    await bucket(config.postprocessingBucket).upload(wavPath, {
      destination: normalizedObject,
      resumable: false,
      metadata: { contentType: "audio/wav", metadata: { [DERIVED_OBJECT_TAG]: "normalized", uid: job.uid, memoryId: job.memoryId, jobId: job.jobId } },
    });
    return { kind: "ready", normalizedObject, durationS, recordingObject, sizeBytes };
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
