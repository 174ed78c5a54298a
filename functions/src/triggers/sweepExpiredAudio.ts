import { onSchedule } from "firebase-functions/v2/scheduler";
import { loadConfig, REGION } from "../config.js";
import { runtimeOptions } from "../pipeline/runtime.js";
import { scheduledAt } from "./scheduledAt.js";

/** Hourly: delete post-processing audio whose retention expired and whose job is over. */
export const sweepExpiredAudio = onSchedule(
  { schedule: "every 60 minutes", region: REGION, ...runtimeOptions("sweepExpiredAudio") },
  async (event) => {
    await (
      await import("../scheduled/sweepExpiredAudio.js")
    ).sweepExpiredAudio(loadConfig(), scheduledAt(event.scheduleTime));
  },
);
