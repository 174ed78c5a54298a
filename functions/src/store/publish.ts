/** Publishing stage messages. Topics are created on first use (the emulator only creates topics that triggers use). */
import type { Topic } from "@google-cloud/pubsub";
import type { JobMessage } from "../model/job.js";
import { pubsubClient } from "./firebase.js";

const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
/** One creation per topic and instance, shared by concurrent publishers. */
const creating = new Map<string, Promise<void>>();

function ensureTopic(topic: Topic, name: string): Promise<void> {
  let created = creating.get(name);
  if (!created) {
    created = topic.create().then(
      () => undefined,
      (err: { code?: number }) => {
        // Another instance (or publisher) created it first: just as good.
        if (err.code !== ALREADY_EXISTS) throw err;
      },
    );
    creating.set(name, created);
    created.catch(() => creating.delete(name));
  }
  return created;
}

export async function publishJobMessage(topicName: string, message: JobMessage): Promise<string> {
  const topic = (await pubsubClient()).topic(topicName);
  const data = Buffer.from(JSON.stringify(message));
  const publish = () => topic.publishMessage({ data, attributes: { jobId: message.jobId } });
  try {
    return await publish();
  } catch (err) {
    if ((err as { code?: number }).code !== NOT_FOUND) throw err;
    await ensureTopic(topic, topicName);
    return publish();
  }
}
