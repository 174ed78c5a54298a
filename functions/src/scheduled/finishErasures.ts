/**
 * Erasures run with the stalled-job re-drive every few minutes (store/erasure.ts):
 * - memories the app flagged `deleted: true` whose data is not erased yet (`postprocessing.erased == false`; a
 *   deleted document is erased by its trigger at once);
 * - an erasure whose pass crashed (still `running` a lease after it started) is run again, and a finished one once
 *   more when its `recheck_after` has come.
 */
import type { Config } from "../config.js";
import * as logs from "../logs.js";
import { erase, eraseDeletedMemory, ERASURES, type ErasureTarget } from "../store/erasure.js";
import { db } from "../store/firebase.js";

const BATCH = 50;

function targetOf(data: FirebaseFirestore.DocumentData): ErasureTarget | null {
  if (data.kind === "user" && typeof data.uid === "string") return { kind: "user", uid: data.uid };
  if (data.kind === "memory" && typeof data.uid === "string" && typeof data.memory_id === "string")
    return { kind: "memory", uid: data.uid, memoryId: data.memory_id };
  return null;
}

export async function finishErasures(
  config: Pick<Config, "recordingsBucket" | "postprocessingBucket" | "stageLeaseMs">,
  now: Date,
): Promise<{ rerun: number; errors: number }> {
  const flagged = await db()
    .collectionGroup("memories")
    .where("deleted", "==", true)
    .where("postprocessing.erased", "==", false)
    .limit(BATCH)
    .get();
  let rerun = 0;
  let errors = 0;
  for (const memory of flagged.docs) {
    const uid = memory.ref.parent.parent?.id;
    if (!uid) continue;
    try {
      await eraseDeletedMemory(config, uid, memory.id, {
        eventId: `redrive-${now.toISOString()}`,
        how: "flagged_deleted",
      });
      await memory.ref.update({ "postprocessing.erased": true });
      rerun += 1;
    } catch (err) {
      errors += 1;
      logs.requestFailed({ uid, memoryId: memory.id, stage: "erasure" }, err);
    }
  }

  const crashedBefore = new Date(now.getTime() - config.stageLeaseMs).toISOString();
  const [running, due] = await Promise.all([
    db().collection(ERASURES).where("status", "==", "running").limit(BATCH).get(),
    db().collection(ERASURES).where("recheck_after", "<=", now.toISOString()).limit(BATCH).get(),
  ]);
  const docs = [
    ...running.docs.filter((d) => String(d.get("pass_started_at") ?? "") < crashedBefore),
    ...due.docs.filter((d) => d.get("status") === "done"),
  ];
  for (const doc of docs) {
    const target = targetOf(doc.data());
    if (!target) continue;
    try {
      const result = await erase(config, target, now);
      logs.dataErased(target, result);
      rerun += 1;
    } catch (err) {
      errors += 1;
      logs.requestFailed({ uid: target.uid, stage: "erasure" }, err);
    }
  }
  return { rerun, errors };
}
