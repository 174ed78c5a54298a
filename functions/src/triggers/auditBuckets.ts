import { onSchedule } from "firebase-functions/v2/scheduler";
import { loadConfig, REGION } from "../config.js";
import { runtimeOptions } from "../pipeline/runtime.js";
import { scheduledAt } from "./scheduledAt.js";

/** Daily: delete orphaned objects in both buckets (scheduled/auditBuckets.ts), a bounded share per run. */
export const auditBuckets = onSchedule(
  { schedule: "every day 03:30", region: REGION, ...runtimeOptions("auditBuckets") },
  async (event) => {
    await (await import("../scheduled/auditBuckets.js")).auditBuckets(loadConfig(), scheduledAt(event.scheduleTime));
  },
);
