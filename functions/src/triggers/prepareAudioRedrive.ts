import { onMessagePublished } from "firebase-functions/v2/pubsub";
import { loadConfig, MESSAGE_MAX_AGE_MS, REGION } from "../config.js";
import { redriveTopicOf } from "../pipeline/definition.js";
import { invocationDeadline, runtimeOptions } from "../pipeline/runtime.js";

/** Stage `prepare_audio` again, for jobs the re-drive found stalled (a storage event cannot be replayed). */
export const prepareAudioRedrive = onMessagePublished(
  { topic: redriveTopicOf("prepare_audio"), region: REGION, retry: true, ...runtimeOptions("prepareAudioRedrive") },
  async (event) => {
    const deadline = invocationDeadline("prepareAudioRedrive");
    const [{ jobMessageSchema }, stage] = await Promise.all([
      import("../model/job.js"),
      import("../stages/prepareAudio.js"),
    ]);
    const message = jobMessageSchema.safeParse(event.data.message.json);
    if (!message.success) return;
    await stage.redrivePrepareAudio(message.data, {
      config: loadConfig(),
      now: () => new Date(),
      eventId: event.id,
      eventTime: new Date(event.time),
      maxEventAgeMs: MESSAGE_MAX_AGE_MS,
      deadline,
    });
  },
);
