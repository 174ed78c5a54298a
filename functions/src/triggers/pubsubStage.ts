/** The shared wiring of a Pub/Sub-triggered stage: parse `{uid, memoryId, jobId}`, build its deps, run it. */
import { logger } from "firebase-functions";
import { onMessagePublished, type PubSubOptions } from "firebase-functions/v2/pubsub";
import { loadConfig, REGION } from "../config.js";
import { jobMessageSchema, type JobMessage } from "../model.js";
import type { StageDeps } from "../stages/runStage.js";

/** Redeliveries of a failing event stop after this; the stage then fails the job instead of throwing. */
const MAX_EVENT_AGE_MS = 2 * 60 * 60 * 1000;

export function pubsubStage(topic: string, options: Omit<PubSubOptions, "topic">, run: (message: JobMessage, deps: StageDeps) => Promise<void>) {
  return onMessagePublished({ region: REGION, retry: true, timeoutSeconds: 540, ...options, topic }, async (event) => {
    const message = jobMessageSchema.safeParse(event.data.message.json);
    if (!message.success) return logger.error("malformed stage message dropped", { event: "bad_message", topic, eventId: event.id });
    await run(message.data, { config: loadConfig(), now: () => new Date(), eventId: event.id, eventTime: new Date(event.time), maxEventAgeMs: MAX_EVENT_AGE_MS });
  });
}
