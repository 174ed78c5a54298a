/**
 * Stage `segment` (Pub/Sub `postprocessing-segment`): words → cleaned → TranscriptSegments, with the original
 * system's 85 % sanity check against the memory's existing transcript. Segments go to Storage for `identify`; the
 * memory itself is only updated there, together with the speaker names.
 */
import { TOPICS, type Config } from "../config.js";
import { permanent } from "../errors.js";
import * as logs from "../logs.js";
import type { JobMessage, Postprocessing, TranscriptSegment } from "../model.js";
import { cleanWords } from "../transcript/cleanWords.js";
import { groupWordsIntoSegments, isTranscriptTooShort, transcriptChars } from "../transcript/groupSegments.js";
import { loadJobJson, saveJobJson, segmentsObjectName } from "../store/jobJson.js";
import { claimStage, completeStage, endJob, type JobRef } from "../store/stages.js";
import type { Transcript } from "../providers/transcriber/types.js";
import { handOff } from "./handOff.js";
import { handleStageFailure } from "./stageFailure.js";

const STAGE = "segment" as const;

export interface StageDeps {
  config: Config;
  now: () => Date;
  eventId: string;
  eventTime: Date;
  maxEventAgeMs: number;
}

export async function segment(message: JobMessage, deps: StageDeps): Promise<void> {
  const job: JobRef = message;
  const ctx = { ...job, stage: STAGE, eventId: deps.eventId };
  const idempotencyKey = `event:${deps.eventId}`;
  const { config } = deps;
  const claim = await claimStage(job, STAGE, {
    idempotencyKey, now: deps.now(), leaseMs: config.stageLeaseMs, maxAttempts: config.stageMaxAttempts, phase: "segmenting",
  });
  const { decision } = claim;
  if (decision.kind === "skip") return logs.stageSkipped(ctx, decision.reason);
  if (decision.kind === "exhausted") return logs.jobFailed(ctx, `${STAGE} exhausted ${decision.attempts} attempts`);
  if (decision.kind === "republish") return handOff(job, STAGE, TOPICS.identify, ctx);

  logs.stageStarted(ctx, decision.attempt);
  const startedMs = Date.now();
  try {
    const pp = claim.memory!.postprocessing as Postprocessing;
    if (!pp.transcript) throw permanent("no_transcript", "The job has no transcription output.");
    const transcript = await loadJobJson<Transcript>(config.postprocessingBucket, pp.transcript.words_object);
    const segments = groupWordsIntoSegments(cleanWords(transcript.words), { maxGapS: config.segmentMaxGapSeconds, maxSegmentS: config.segmentMaxSeconds });
    const existing = (claim.memory!.transcript_segments ?? []) as TranscriptSegment[];
    if (isTranscriptTooShort(segments, existing)) {
      const reason = `transcript_too_short: the new transcript has ${transcriptChars(segments)} characters, under 85% of the existing ${transcriptChars(existing)}; the existing transcript is kept`;
      await endJob(job, STAGE, "failed", reason, deps.now());
      return logs.jobFailed(ctx, reason);
    }
    const name = segmentsObjectName(job);
    await saveJobJson(config.postprocessingBucket, name, job, "segments", segments);
    const completed = await completeStage(job, STAGE, {
      idempotencyKey, now: deps.now(), phase: "identifying_speakers", next: "identify",
      patch: { "postprocessing.segments": { object: name, count: segments.length } },
    });
    if (!completed) return logs.stageSkipped(ctx, "lost_lease");
    logs.stageDone(ctx, Date.now() - startedMs, { segments: segments.length });
    await handOff(job, STAGE, TOPICS.identify, ctx);
  } catch (err) {
    await handleStageFailure(err, {
      job, stage: STAGE, idempotencyKey, now: deps.now(), eventTime: deps.eventTime, maxEventAgeMs: deps.maxEventAgeMs, log: ctx, startedMs,
    });
  }
}
