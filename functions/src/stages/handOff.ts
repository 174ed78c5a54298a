/** Hands a job to the next stage: publish `{uid, memoryId, jobId}`, then record that it was published. */
import * as logs from "../logs.js";
import type { JobMessage, StageName } from "../model.js";
import { publishJobMessage } from "../store/publish.js";
import { markNextPublished, type JobRef } from "../store/stages.js";

export async function handOff(job: JobRef, fromStage: StageName, topic: string, ctx: logs.LogContext): Promise<void> {
  const message: JobMessage = { uid: job.uid, memoryId: job.memoryId, jobId: job.jobId };
  const messageId = await publishJobMessage(topic, message);
  await markNextPublished(job, fromStage);
  logs.messagePublished(ctx, topic, messageId);
}
