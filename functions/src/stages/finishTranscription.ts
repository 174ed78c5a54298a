/**
 * The end of the transcribe stage, whichever adapter produced the words: words JSON to Storage, the stage done and
 * `postprocessing.transcript` set in one transaction, then the hand-off to segmentation.
 */
import { TOPICS, type Config } from "../config.js";
import * as logs from "../logs.js";
import type { JobTranscript } from "../model.js";
import type { Transcript } from "../providers/transcriber/types.js";
import { completeStage, type JobRef } from "../store/stages.js";
import { saveTranscriptJson, wordsObjectName } from "../store/transcripts.js";
import { handOff } from "./handOff.js";

export async function finishTranscription(
  job: JobRef,
  transcript: Transcript,
  opts: { config: Config; idempotencyKey: string; now: Date; log: logs.LogContext },
): Promise<boolean> {
  const name = wordsObjectName(job);
  await saveTranscriptJson(opts.config.postprocessingBucket, name, job, transcript);
  const summary: JobTranscript = {
    words_object: name,
    word_count: transcript.words.length,
    speaker_count: new Set(transcript.words.map((w) => w.speaker).filter(Boolean)).size,
    language: transcript.language,
    model: transcript.model,
  };
  const completed = await completeStage(job, "transcribe", {
    idempotencyKey: opts.idempotencyKey, now: opts.now, phase: "awaiting_segmentation", next: "segment",
    patch: { "postprocessing.transcript": summary },
  });
  if (!completed) return false;
  logs.transcriptionDone(opts.log, summary.word_count, summary.speaker_count, summary.model);
  await handOff(job, "transcribe", TOPICS.segment, opts.log);
  return true;
}
