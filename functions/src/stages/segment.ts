/**
 * Stage `segment` (Pub/Sub `postprocessing-segment`): words → cleaned → TranscriptSegments, with the original
 * system's 85 % sanity check against the memory's existing transcript. Segments go to Storage for `identify`; the
 * memory itself is only updated there, together with the speaker names.
 */
import { TOPICS } from "../config.js";
import { permanent } from "../errors.js";
import * as logs from "../logs.js";
import type { JobMessage, Postprocessing, TranscriptSegment } from "../model.js";
import { cleanWords } from "../transcript/cleanWords.js";
import { groupWordsIntoSegments, isTranscriptTooShort, transcriptChars } from "../transcript/groupSegments.js";
import { loadJobJson, saveJobJson, segmentsObjectName } from "../store/jobJson.js";
import { completeStage, endJob, type JobRef } from "../store/stages.js";
import type { Transcript } from "../providers/transcriber/types.js";
import { handOff } from "./handOff.js";
import { runStage, type StageDeps } from "./runStage.js";

const STAGE = "segment" as const;

export async function segment(message: JobMessage, deps: StageDeps): Promise<void> {
  const job: JobRef = message;
  const { config } = deps;
  await runStage(
    { job, stage: STAGE, idempotencyKey: `event:${deps.eventId}`, phase: "segmenting", nextTopics: () => [TOPICS.identify], deps },
    async ({ memory, idempotencyKey, log, startedMs }) => {
      const pp = memory.postprocessing as Postprocessing;
      if (!pp.transcript) throw permanent("no_transcript", "The job has no transcription output.");
      const transcript = await loadJobJson<Transcript>(config.postprocessingBucket, pp.transcript.words_object);
      const segments = groupWordsIntoSegments(cleanWords(transcript.words), { maxGapS: config.segmentMaxGapSeconds, maxSegmentS: config.segmentMaxSeconds });
      const existing = (memory.transcript_segments ?? []) as TranscriptSegment[];
      if (isTranscriptTooShort(segments, existing)) {
        const reason = `transcript_too_short: the new transcript has ${transcriptChars(segments)} characters, under 85% of the existing ${transcriptChars(existing)}; the existing transcript is kept`;
        await endJob(job, STAGE, "failed", reason, deps.now());
        return logs.jobFailed(log, reason);
      }
      const name = segmentsObjectName(job);
      await saveJobJson(config.postprocessingBucket, name, job, "segments", segments);
      const completed = await completeStage(job, STAGE, {
        idempotencyKey, now: deps.now(), phase: "identifying_speakers", next: "identify",
        patch: { "postprocessing.segments": { object: name, count: segments.length } },
      });
      if (!completed) return logs.stageSkipped(log, "lost_lease");
      logs.stageDone(log, Date.now() - startedMs, { segments: segments.length });
      await handOff(job, STAGE, TOPICS.identify, log);
    },
  );
}
