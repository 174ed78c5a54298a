/**
 * The user's fair-use counts (model/fairUse.ts) in one document, `users/{uid}/usage/speech`: every job accepted in
 * the last week with its audio seconds, and each memory's recent stage re-runs. It is read and written only inside
 * the transactions that create jobs, so concurrent uploads are counted exactly: at the edge of a cap, exactly the
 * uploads that fit get through.
 */
import type { DocumentSnapshot, Transaction } from "firebase-admin/firestore";
import type { Config } from "../config.js";
import {
  fairUseDecision,
  liveEntries,
  rerunDecision,
  usageView,
  type FairUseDecision,
  type UsageEntry,
} from "../model/fairUse.js";
import { db } from "./firebase.js";
import type { JobRefusal } from "./jobs.js";
import { userPath } from "./paths.js";

export const usagePath = (uid: string) => `${userPath(uid)}/usage/speech`;
const usageRef = (uid: string) => db().doc(usagePath(uid));

const entriesOf = (snap: DocumentSnapshot): Record<string, UsageEntry> =>
  (snap.get("jobs") ?? {}) as Record<string, UsageEntry>;
const rerunsOf = (snap: DocumentSnapshot): Record<string, string[]> =>
  (snap.get("reruns") ?? {}) as Record<string, string[]>;

const minutes = (seconds: number) => `${Math.round(seconds / 60)} min`;

/** A refused job as the store's refusal: which window, its limit and use, and when it frees up. */
export function fairUseRefusal(decision: Extract<FairUseDecision, { allowed: false }>): JobRefusal {
  return {
    code: "fair_use_exceeded",
    message:
      `Fair use: ${minutes(decision.usedSeconds)} of audio already post-processed in the last ` +
      `${decision.window.replace("_", " ")} (limit ${minutes(decision.limitSeconds)}); this recording ` +
      `(${minutes(decision.requestedSeconds)}) would go over it. Nothing was stored; ` +
      `try again after ${decision.freesAt}.`,
    details: {
      window: decision.window,
      limit_seconds: decision.limitSeconds,
      used_seconds: decision.usedSeconds,
      requested_seconds: decision.requestedSeconds,
      frees_at: decision.freesAt,
    },
    retryAt: decision.freesAt,
  };
}

/** Reads the usage document in a transaction (before any write of it). */
export const readUsage = (tx: Transaction, uid: string) => tx.get(usageRef(uid));

/**
 * Inside a transaction that read `usage`: refuses (a JobRefusal) or counts the new job. `seconds` may be 0 when the
 * duration is not known yet (a resumable upload): prepare_audio counts it then (settleUsage).
 */
export function countNewJob(
  tx: Transaction,
  usage: DocumentSnapshot,
  job: { uid: string; memoryId: string; jobId: string },
  entry: { seconds: number; kind: UsageEntry["kind"]; exact: boolean },
  now: Date,
  caps: Config["fairUse"],
): JobRefusal | null {
  const live = liveEntries(entriesOf(usage), now);
  const decision = fairUseDecision(Object.values(live), now, entry.seconds, caps);
  if (!decision.allowed) return fairUseRefusal(decision);
  const jobs = { ...live, [job.jobId]: { ...entry, at: now.toISOString(), memory_id: job.memoryId } };
  tx.set(usageRef(job.uid), { jobs, updated_at: now.toISOString() }, { mergeFields: ["jobs", "updated_at"] });
  return null;
}

/** Inside a transaction that read `usage`: refuses a memory's re-run past the hourly limit, or counts it. */
export function countRerun(
  tx: Transaction,
  usage: DocumentSnapshot,
  uid: string,
  memoryId: string,
  now: Date,
  perHour: number,
): JobRefusal | null {
  const reruns = rerunsOf(usage);
  const recent = (reruns[memoryId] ?? []).filter((at) => now.getTime() - Date.parse(at) < 3_600_000);
  const decision = rerunDecision(recent, now, perHour);
  if (!decision.allowed) {
    return {
      code: "rerun_rate_limited",
      message:
        `This memory's stages were re-run ${recent.length} times in the last hour (limit ${perHour}); ` +
        `try again after ${decision.freesAt}.`,
      details: { limit_per_hour: perHour, frees_at: decision.freesAt },
      retryAt: decision.freesAt,
    };
  }
  // Only memories re-run in the last hour are kept.
  const kept = Object.fromEntries(
    Object.entries(reruns)
      .map(([id, list]) => [id, list.filter((at) => now.getTime() - Date.parse(at) < 3_600_000)] as const)
      .filter(([, list]) => list.length),
  );
  tx.set(
    usageRef(uid),
    { reruns: { ...kept, [memoryId]: [...recent, now.toISOString()] } },
    { mergeFields: ["reruns"] },
  );
  return null;
}

/**
 * Records a job's prepared duration (prepare_audio measured it). A job accepted on an estimate keeps its place
 * whatever the measurement says; one accepted without any (a resumable upload) is checked now and refused if it does
 * not fit, which the stage turns into a canceled job whose upload is deleted.
 */
export async function settleUsage(
  job: { uid: string; memoryId: string; jobId: string },
  seconds: number,
  now: Date,
  caps: Config["fairUse"],
): Promise<JobRefusal | null> {
  return db().runTransaction(async (tx) => {
    const usage = await tx.get(usageRef(job.uid));
    const live = liveEntries(entriesOf(usage), now);
    const own = live[job.jobId];
    const { [job.jobId]: _own, ...others } = live;
    if (!own?.exact && !(own?.seconds > 0)) {
      const decision = fairUseDecision(Object.values(others), now, seconds, caps);
      if (!decision.allowed) {
        tx.set(usageRef(job.uid), { jobs: others }, { mergeFields: ["jobs"] });
        return fairUseRefusal(decision);
      }
    }
    const entry: UsageEntry = {
      seconds,
      at: own?.at ?? now.toISOString(),
      memory_id: job.memoryId,
      kind: own?.kind ?? "upload",
      exact: true,
    };
    tx.set(usageRef(job.uid), { jobs: { ...others, [job.jobId]: entry } }, { mergeFields: ["jobs"] });
    return null;
  });
}

/** Stops counting a job whose upload was refused (not audio, too long…): the user got nothing for it. */
export async function releaseUsage(job: { uid: string; jobId: string }): Promise<void> {
  await db().runTransaction(async (tx) => {
    const usage = await tx.get(usageRef(job.uid));
    const jobs = entriesOf(usage);
    if (!(job.jobId in jobs)) return;
    const { [job.jobId]: _released, ...rest } = jobs;
    tx.set(usageRef(job.uid), { jobs: rest }, { mergeFields: ["jobs"] });
  });
}

/** What `GET /v1/users/usage` answers. */
export async function usageOf(uid: string, now: Date, config: Pick<Config, "fairUse" | "rerunsPerMemoryPerHour">) {
  const snap = await usageRef(uid).get();
  const entries = Object.values(liveEntries(entriesOf(snap), now));
  return {
    windows: usageView(entries, now, config.fairUse),
    reruns: { limit_per_memory_per_hour: config.rerunsPerMemoryPerHour || null },
  };
}
