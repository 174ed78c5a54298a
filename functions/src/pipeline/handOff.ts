/** Hands a job to the stages that follow one: publish `{uid, memoryId, jobId}` to each topic, then record it. */
import * as logs from "../logs.js";
import type { JobMessage, JobRef } from "../model/job.js";
import { publishJobMessage } from "../store/publish.js";
import { topicOf, type StageName } from "./definition.js";
import { clearHandOffLease, markNextPublished } from "./stageState.js";

export async function handOff(
  job: JobRef,
  fromStage: StageName,
  next: StageName[],
  ctx: logs.LogContext,
  /** Runs between publishing and recording it (the fault suite's crash point). */
  beforeRecording: () => Promise<void> = async () => undefined,
): Promise<void> {
  const message: JobMessage = { uid: job.uid, memoryId: job.memoryId, jobId: job.jobId };
  const topics = next.flatMap((stage) => topicOf(stage) ?? []);
  try {
    for (const topic of topics) {
      const messageId = await publishJobMessage(topic, message);
      logs.messagePublished(ctx, topic, messageId);
    }
  } catch (err) {
    // The stage stays done; the redelivery of this event (or the re-drive) only republishes.
    await clearHandOffLease(job, fromStage).catch(() => undefined);
    throw err;
  }
  await beforeRecording();
  if (topics.length) await markNextPublished(job, fromStage);
}
