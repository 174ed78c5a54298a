import { onSchedule } from "firebase-functions/v2/scheduler";
import { FAL_KEY, loadConfig, REGION } from "../config.js";
import { invocationDeadline, runtimeOptions } from "../pipeline/runtime.js";
import { scheduledAt } from "./scheduledAt.js";

/**
 * Every 5 minutes: finish erasures that crashed or are due a second pass; poll FAL for overdue webhooks; re-drive
 * stages whose message was lost or whose backoff ended.
 */
export const recoverStalledJobs = onSchedule(
  { schedule: "every 5 minutes", region: REGION, ...runtimeOptions("recoverStalledJobs"), secrets: [FAL_KEY] },
  async (event) => {
    const deadline = invocationDeadline("recoverStalledJobs");
    const config = loadConfig();
    const [job, transcribers, erasures] = await Promise.all([
      import("../scheduled/recoverStalledJobs.js"),
      import("../providers/transcriber/create.js"),
      import("../scheduled/finishErasures.js"),
    ]);
    await job.recoverStalledJobs({
      config,
      now: scheduledAt(event.scheduleTime),
      deadline,
      transcriber: () => transcribers.createFalTranscriber(config, FAL_KEY.value()),
    });
    // Erasures that crashed, or are due their second pass (store/erasure.ts).
    await erasures.finishErasures(config, scheduledAt(event.scheduleTime));
  },
);
