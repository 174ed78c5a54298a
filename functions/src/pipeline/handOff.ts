/** Hands a job to the stages that follow one: publish `{uid, memoryId, jobId}` to each topic, then record it. */
import * as logs from "../logs.js";
import type { JobMessage, JobRef, StageName } from "../model/job.js";
import { publishJobMessage } from "../store/publish.js";
import { topicOf } from "./definition.js";
import { markNextPublished } from "./stageState.js";

export async function handOff(
  job: JobRef,
  fromStage: StageName,
  next: StageName[],
  ctx: logs.LogContext,
): Promise<void> {
  const message: JobMessage = { uid: job.uid, memoryId: job.memoryId, jobId: job.jobId };
  const topics = next.flatMap((stage) => topicOf(stage) ?? []);
  for (const topic of topics) {
    const messageId = await publishJobMessage(topic, message);
    logs.messagePublished(ctx, topic, messageId);
  }
  if (topics.length) await markNextPublished(job, fromStage);
}
