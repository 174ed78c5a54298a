/** Publishing stage messages. Topics are created on first use (the emulator only creates topics that triggers use). */
import { pubsubClient } from "./firebase.js";
import type { JobMessage } from "../model/job.js";

const NOT_FOUND = 5;
const ensured = new Set<string>();

export async function publishJobMessage(topicName: string, message: JobMessage): Promise<string> {
  const topic = (await pubsubClient()).topic(topicName);
  const data = Buffer.from(JSON.stringify(message));
  try {
    return await topic.publishMessage({ data, attributes: { jobId: message.jobId } });
  } catch (err) {
    if ((err as { code?: number }).code !== NOT_FOUND || ensured.has(topicName)) throw err;
    await topic.get({ autoCreate: true });
    ensured.add(topicName);
    return topic.publishMessage({ data, attributes: { jobId: message.jobId } });
  }
}
