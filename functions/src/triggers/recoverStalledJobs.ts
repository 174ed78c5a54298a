import { onSchedule } from "firebase-functions/v2/scheduler";
import { FAL_KEY, loadConfig, REGION } from "../config.js";
import { createFal } from "../providers/transcriber/fal.js";
import { recoverStalledJobs as recover } from "../stages/recoverStalledJobs.js";

/** Every 5 minutes: poll FAL for overdue webhooks; re-drive stages whose message was lost or whose backoff ended. */
export const recoverStalledJobs = onSchedule({ schedule: "every 5 minutes", region: REGION, timeoutSeconds: 300, secrets: [FAL_KEY] }, async (event) => {
  const config = loadConfig();
  await recover({ config, now: new Date(event.scheduleTime), fal: () => createFal({ key: config.falKey, endpoint: config.falEndpoint, baseUrl: config.falBaseUrl }) });
});
