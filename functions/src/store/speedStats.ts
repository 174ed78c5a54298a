/**
 * The measured speed of the pipeline's stages (`pipeline_stats/speed`), which progress estimates read: refreshed by
 * the re-drive run from the ledgers of recently completed jobs, read through a short per-instance cache.
 */
import type { Speed } from "../model/progress.js";
import { db } from "./firebase.js";

const SPEED_DOC = "pipeline_stats/speed";
const CACHE_MS = 10 * 60_000;
/** Recent completed jobs the speed is measured over. */
export const SPEED_SAMPLE_JOBS = 50;

let cached: { at: number; speed: Promise<Speed> } | null = null;

/** The stored speed (empty until measured); a read failure is an empty speed, never a failed stage. */
export function readSpeed(now = Date.now()): Promise<Speed> {
  if (!cached || now - cached.at > CACHE_MS) {
    cached = {
      at: now,
      speed: db()
        .doc(SPEED_DOC)
        .get()
        .then((snap) => (snap.get("stages") ?? {}) as Speed)
        .catch(() => ({})),
    };
  }
  return cached.speed;
}

export async function writeSpeed(speed: Speed, jobs: number, now: Date): Promise<void> {
  await db().doc(SPEED_DOC).set({ stages: speed, jobs, updated_at: now.toISOString() });
  cached = null;
}

/** Audio length and per-stage time (wall + provider queue) of the most recently completed jobs. */
export async function recentJobTimings(): Promise<{ durationS: number; stageMs: Partial<Record<string, number>> }[]> {
  const page = await db()
    .collectionGroup("memories")
    .where("postprocessing.status", "==", "completed")
    .orderBy("postprocessing.completed_at", "desc")
    .select("postprocessing.audio.duration_s", "postprocessing.usage.stages")
    .limit(SPEED_SAMPLE_JOBS)
    .get();
  return page.docs.map((doc) => {
    const stages = (doc.get("postprocessing.usage.stages") ?? {}) as Record<
      string,
      { wall_ms?: number; queue_ms?: number }
    >;
    const stageMs: Partial<Record<string, number>> = {};
    for (const [name, usage] of Object.entries(stages)) {
      if (typeof usage?.wall_ms === "number") stageMs[name] = usage.wall_ms + (usage.queue_ms ?? 0);
    }
    return { durationS: Number(doc.get("postprocessing.audio.duration_s") ?? 0), stageMs };
  });
}
