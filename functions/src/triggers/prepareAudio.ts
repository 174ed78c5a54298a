import { onObjectFinalized } from "firebase-functions/v2/storage";
import { loadConfig, POSTPROCESSING_BUCKET, REGION, STORAGE_EVENT_MAX_AGE_MS } from "../config.js";
import { invocationDeadline, runtimeOptions } from "../pipeline/runtime.js";

/** Stage `prepare_audio`: every finalized upload in the post-processing bucket (retried on transient errors). */
export const prepareAudio = onObjectFinalized(
  { bucket: POSTPROCESSING_BUCKET, region: REGION, retry: true, ...runtimeOptions("prepareAudio") },
  async (event) => {
    const deadline = invocationDeadline("prepareAudio");
    await (
      await import("../stages/prepareAudio.js")
    ).prepareAudio(event.data, {
      config: loadConfig(),
      now: () => new Date(),
      eventId: event.id,
      eventTime: new Date(event.time),
      maxEventAgeMs: STORAGE_EVENT_MAX_AGE_MS,
      deadline,
    });
  },
);
