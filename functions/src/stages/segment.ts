/**
 * Stage `segment`: words → cleaned → TranscriptSegments, with the original system's 85 % sanity check against the
 * memory's existing transcript. Segments go to Storage for `identify`; the memory itself is only updated there,
 * together with the speaker names.
 */
import { permanent } from "../errors.js";
import type { JobMessage, JobRef } from "../model/job.js";
import type { Transcript, TranscriptSegment } from "../model/transcript.js";
import { runStage, type StageDeps } from "../pipeline/runStage.js";
import { loadJobJson, saveJobJson } from "../store/objects.js";
import { segmentsObjectName } from "../store/objectNames.js";
import { cleanWords } from "../transcript/cleanWords.js";
import { groupWordsIntoSegments, isTranscriptTooShort, transcriptChars } from "../transcript/groupSegments.js";

const STAGE = "segment" as const;

export async function segment(message: JobMessage, deps: StageDeps): Promise<void> {
  const job: JobRef = message;
  const { config } = deps;
  await runStage({ job, stage: STAGE, idempotencyKey: `event:${deps.eventId}`, deps }, async ({ memory, pp }) => {
    if (!pp.transcript) throw permanent("no_transcript", "The job has no transcription output.");
    const transcript = await loadJobJson<Transcript>(config.postprocessingBucket, pp.transcript.words_object);
    const segments = groupWordsIntoSegments(cleanWords(transcript.words), {
      maxGapS: config.segmentMaxGapSeconds,
      maxSegmentS: config.segmentMaxSeconds,
    });
    const existing = (memory.transcript_segments ?? []) as TranscriptSegment[];
    if (isTranscriptTooShort(segments, existing)) {
      const reason =
        `transcript_too_short: the new transcript has ${transcriptChars(segments)} characters, under 85% of the ` +
        `existing ${transcriptChars(existing)}; the existing transcript is kept`;
      return { kind: "ended", status: "failed", reason };
    }
    const name = segmentsObjectName(job);
    await saveJobJson(config.postprocessingBucket, name, job, "segments", segments);
    return {
      kind: "done",
      patch: { "postprocessing.segments": { object: name, count: segments.length } },
      summary: { segments: segments.length },
    };
  });
}
