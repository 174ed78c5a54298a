import { onSchedule } from "firebase-functions/v2/scheduler";
import { loadConfig, REGION } from "../config.js";

/** Hourly: delete post-processing audio whose retention expired and whose job is over. */
export const sweepExpiredAudio = onSchedule(
  { schedule: "every 60 minutes", region: REGION, timeoutSeconds: 540 },
  async (event) => {
    await (
      await import("../scheduled/sweepExpiredAudio.js")
    ).sweepExpiredAudio(loadConfig(), new Date(event.scheduleTime));
  },
);
