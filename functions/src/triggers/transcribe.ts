import { onMessagePublished } from "firebase-functions/v2/pubsub";
import { logger } from "firebase-functions";
import { FAL_KEY, loadConfig, REGION, TOPICS } from "../config.js";
import { jobMessageSchema } from "../model.js";
import { createFal } from "../providers/transcriber/fal.js";
import { transcribe as transcribeStage } from "../stages/transcribe.js";

const MAX_EVENT_AGE_MS = 2 * 60 * 60 * 1000;

/** Stage 2: transcription + diarization (FAL submit, or one offline chunk per invocation). */
export const transcribe = onMessagePublished(
  { topic: TOPICS.transcribe, region: REGION, memory: "2GiB", cpu: 1, timeoutSeconds: 540, retry: true, secrets: [FAL_KEY] },
  async (event) => {
    const message = jobMessageSchema.safeParse(event.data.message.json);
    if (!message.success) return logger.error("malformed stage message dropped", { event: "bad_message", eventId: event.id });
    const config = loadConfig();
    await transcribeStage(message.data, {
      config, now: () => new Date(), eventId: event.id, eventTime: new Date(event.time), maxEventAgeMs: MAX_EVENT_AGE_MS,
      fal: () => createFal({ key: config.falKey, endpoint: config.falEndpoint, baseUrl: config.falBaseUrl }),
    });
  },
);
