/** Hands a job to the next stage(s): publish `{uid, memoryId, jobId}` to each topic, then record that it was done. */
import * as logs from "../logs.js";
import type { JobMessage, StageName } from "../model.js";
import { publishJobMessage } from "../store/publish.js";
import { markNextPublished, type JobRef } from "../store/stages.js";

export async function handOff(job: JobRef, fromStage: StageName, topics: string | string[], ctx: logs.LogContext): Promise<void> {
  const message: JobMessage = { uid: job.uid, memoryId: job.memoryId, jobId: job.jobId };
  for (const topic of [topics].flat()) {
    const messageId = await publishJobMessage(topic, message);
    logs.messagePublished(ctx, topic, messageId);
  }
  await markNextPublished(job, fromStage);
}
