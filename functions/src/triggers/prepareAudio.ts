import { onObjectFinalized } from "firebase-functions/v2/storage";
import { loadConfig, POSTPROCESSING_BUCKET, REGION } from "../config.js";
import { prepareAudio as prepareAudioStage } from "../stages/prepareAudio.js";

const MAX_EVENT_AGE_MS = 60 * 60 * 1000;

/** Stage 1: every finalized upload in the post-processing bucket (retried on transient errors). */
export const prepareAudio = onObjectFinalized(
  { bucket: POSTPROCESSING_BUCKET, region: REGION, memory: "2GiB", cpu: 1, timeoutSeconds: 540, retry: true },
  (event) =>
    prepareAudioStage(event.data, {
      config: loadConfig(),
      now: () => new Date(),
      eventId: event.id,
      eventTime: new Date(event.time),
      maxEventAgeMs: MAX_EVENT_AGE_MS,
    }),
);
