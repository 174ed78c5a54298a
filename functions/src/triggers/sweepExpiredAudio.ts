import { onSchedule } from "firebase-functions/v2/scheduler";
import { loadConfig, REGION } from "../config.js";
import { sweepExpiredAudio as sweep } from "../stages/sweepExpiredAudio.js";

/** Hourly: delete post-processing audio whose retention expired and whose job is over. */
export const sweepExpiredAudio = onSchedule({ schedule: "every 60 minutes", region: REGION, timeoutSeconds: 540 }, async (event) => {
  await sweep(loadConfig(), new Date(event.scheduleTime));
});
