/**
 * Crash points for the fault suite: a test arms `test_faults["<stage>:<point>"] = n` on a memory, and the next n
 * deliveries of that stage for the memory's job stop dead at that point, as if the instance died (no failure
 * handling, no lease release). Honoured only in the Functions emulator with FAULT_INJECTION=on (the demo-providers
 * test project); production never reads the field.
 *
 * A dead instance's lease runs out only after STAGE_LEASE_SECONDS. Rather than have the suite wait that long in real
 * time (or run with leases so short that a slow machine's live stages lose theirs), a crash fast-forwards this one
 * job by a lease: the crashed stage's lease ends at the crash, and the job's `updated_at` moves a lease back, which is
 * exactly how the job looks once the dead delivery's lease has expired. Everything after that (the scheduled re-drive
 * finding the job quiet and the stage stalled, the next claim taking it) runs unchanged, on the real clock, and other
 * jobs are not disturbed.
 */
import type { Config } from "../config.js";
import type { JobRef } from "../model/job.js";
import type { StageName } from "./definition.js";
import { db } from "../store/firebase.js";
import { memoryPath } from "../store/paths.js";

export const FAULT_POINTS = ["after_claim", "after_submit", "after_work", "after_done", "after_publish"] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export class InjectedCrash extends Error {
  override name = "InjectedCrash";
}

const enabled = (config: Pick<Config, "faultInjection">) =>
  config.faultInjection && process.env.FUNCTIONS_EMULATOR === "true";

/** Throws InjectedCrash when the point is armed for this job (and disarms one use of it). */
export async function crashPoint(
  config: Pick<Config, "faultInjection" | "stageLeaseMs">,
  job: JobRef,
  stage: StageName,
  point: FaultPoint,
): Promise<void> {
  if (!enabled(config)) return;
  const key = `${stage}:${point}`;
  const ref = db().doc(memoryPath(job.uid, job.memoryId));
  const armed = await db().runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    const faults = snap.get("test_faults") as Record<string, unknown> | undefined;
    const left = Number(faults?.[key] ?? 0);
    if (snap.get("postprocessing.job_id") !== job.jobId || !(left > 0)) return false;
    const now = Date.now();
    tx.update(ref, {
      test_faults: { ...faults, [key]: left - 1 },
      "postprocessing.updated_at": new Date(now - config.stageLeaseMs - 1000).toISOString(),
      ...(snap.get(`postprocessing.stages.${stage}`)
        ? { [`postprocessing.stages.${stage}.lease_expires_at`]: new Date(now).toISOString() }
        : {}),
    });
    return true;
  });
  if (armed) throw new InjectedCrash(`injected crash at ${key}`);
}
