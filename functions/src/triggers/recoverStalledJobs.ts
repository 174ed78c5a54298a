import { onSchedule } from "firebase-functions/v2/scheduler";
import { FAL_KEY, loadConfig, REGION } from "../config.js";

/** Every 5 minutes: poll FAL for overdue webhooks; re-drive stages whose message was lost or whose backoff ended. */
export const recoverStalledJobs = onSchedule(
  { schedule: "every 5 minutes", region: REGION, timeoutSeconds: 300, secrets: [FAL_KEY] },
  async (event) => {
    const config = loadConfig();
    const [job, transcribers] = await Promise.all([
      import("../scheduled/recoverStalledJobs.js"),
      import("../providers/transcriber/create.js"),
    ]);
    await job.recoverStalledJobs({
      config,
      now: scheduledAt(event.scheduleTime),
      transcriber: () => transcribers.createFalTranscriber(config, FAL_KEY.value()),
    });
  },
);

/** The run's time: the schedule's, or now when it is invoked by hand (an operator, the emulator's HTTP trigger). */
const scheduledAt = (time: string | undefined) => {
  const at = Date.parse(time ?? "");
  return Number.isFinite(at) ? new Date(at) : new Date();
};
