// Operator commands against a project's Firestore (the emulator when FIRESTORE_EMULATOR_HOST is set, else the
// project in GOOGLE_CLOUD_PROJECT with Application Default Credentials):
//   node scripts/ops.mjs status <uid> <memoryId>          the memory's job: status, phase, stages, ledger
//   node scripts/ops.mjs cancel <uid> <memoryId> [reason] end a running job (stages stop at their next boundary)
//   node scripts/ops.mjs stalled [minutes]                in-progress jobs untouched for that long (default 15)
import { createRequire } from "node:module";

const require = createRequire(new URL("../functions/package.json", import.meta.url));
const { initializeApp } = require("firebase-admin/app");
const { getFirestore } = require("firebase-admin/firestore");
const db = getFirestore(initializeApp({ projectId: process.env.GOOGLE_CLOUD_PROJECT ?? process.env.GCLOUD_PROJECT }));
const [command, ...args] = process.argv.slice(2);
const memory = (uid, memoryId) => db.doc(`users/${uid}/memories/${memoryId}`);

if (command === "status") {
  const pp = (await memory(args[0], args[1]).get()).get("postprocessing");
  if (!pp) throw new Error("no job on this memory");
  const stages = Object.entries(pp.stages ?? {}).map(([n, s]) => `${n}=${s.state}(${s.attempts})${s.last_error ? ` "${s.last_error}"` : ""}`);
  const cost = Object.values(pp.usage?.calls ?? {}).reduce((sum, c) => sum + c.estimated_cost_usd, 0);
  console.log(`job ${pp.job_id}: ${pp.status} · ${pp.phase}${pp.fail_reason ? ` · ${pp.fail_reason}` : ""}`);
  console.log(`stages: ${stages.join(" ")}`);
  console.log(`updated ${pp.updated_at}; estimated cost $${cost.toFixed(4)}; warnings: ${(pp.warnings ?? []).join("; ") || "none"}`);
} else if (command === "cancel") {
  const [uid, memoryId, ...why] = args;
  const reason = `canceled_by_operator: ${why.join(" ") || "no reason given"}`;
  const ref = memory(uid, memoryId);
  const done = await db.runTransaction(async (tx) => {
    const pp = (await tx.get(ref)).get("postprocessing");
    if (!pp || pp.status !== "in_progress") return `nothing to cancel (status ${pp?.status ?? "none"})`;
    tx.update(ref, {
      "postprocessing.status": "canceled",
      "postprocessing.phase": "canceled",
      "postprocessing.optional_open": false,
      "postprocessing.progress": { phase: "canceled", percent: 100, eta_seconds: 0 },
      "postprocessing.fail_reason": reason,
      "postprocessing.updated_at": new Date().toISOString(),
    });
    return `job ${pp.job_id} canceled`;
  });
  console.log(done);
} else if (command === "stalled") {
  const cutoff = new Date(Date.now() - Number(args[0] ?? 15) * 60_000).toISOString();
  const snap = await db
    .collectionGroup("memories")
    .where("postprocessing.status", "==", "in_progress")
    .where("postprocessing.updated_at", "<=", cutoff)
    .orderBy("postprocessing.updated_at")
    .select("postprocessing")
    .limit(100)
    .get();
  for (const d of snap.docs) {
    const pp = d.get("postprocessing");
    console.log(`${d.ref.parent.parent.id}/${d.id} job ${pp.job_id} ${pp.phase} since ${pp.updated_at}`);
  }
  console.log(`${snap.size} stalled job(s)`);
} else {
  console.log("usage: node scripts/ops.mjs status|cancel|stalled …   (see the comment at the top)");
  process.exit(2);
}
process.exit(0);
