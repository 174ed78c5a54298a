// `npm run demo`: runs inside `firebase emulators:exec` with the seed data imported. Signs in as the demo user,
// uploads a real recording exactly as the app does, and follows the job until the pipeline's current last stage.
import { readFile } from "node:fs/promises";
import { admin, DEMO_MEMORY_ID, DEMO_USER, FUNCTIONS_BASE, SAMPLE_RECORDING, signIn } from "./lib.mjs";

const TIMEOUT_MS = 120_000;
const { db, storage } = admin();
const envText = await readFile(new URL(`../functions/.env.${process.env.GCLOUD_PROJECT ?? "demo-memories"}`, import.meta.url), "utf8");
const buckets = Object.fromEntries(envText.split("\n").filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split("=")));
const say = (...args) => console.log("\x1b[36m[demo]\x1b[0m", ...args);

const token = await signIn(DEMO_USER.email, DEMO_USER.password);
say(`signed in as ${DEMO_USER.email}`);

const memoryRef = db.doc(`users/${DEMO_USER.uid}/memories/${DEMO_MEMORY_ID}`);
const before = (await memoryRef.get()).data();
say(`memory "${before.structured.title}": ${before.transcript_segments.length} streaming segments, postprocessing ${before.postprocessing?.status ?? "not_started"}`);

const audio = await readFile(SAMPLE_RECORDING);
const form = new FormData();
form.append("file", new Blob([audio], { type: "audio/wav" }), "recording.wav");
const url = `${FUNCTIONS_BASE}/api/v1/memories/${DEMO_MEMORY_ID}/post-processing?emotional_feedback=false`;
say(`POST ${url} (${audio.length} bytes of audio)`);
const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
const body = await res.json();
if (res.status !== 200) {
  say(`refused: ${res.status} ${JSON.stringify(body)}`);
  process.exit(1);
}
const jobUrl = new URL(res.headers.get("location"), res.url);
say(`200 OK — postprocessing ${JSON.stringify(body.postprocessing)}`);
say(`job: ${jobUrl}`);

// The pipeline currently ends after speaker identification; re-extraction (reprocess) is not built yet.
const WAITING_FOR_NEXT_STAGE = new Set(["awaiting_reprocess"]);
const started = Date.now();
let last = "";
let job;
for (;;) {
  job = (await (await fetch(jobUrl, { headers: { authorization: `Bearer ${token}` } })).json()).job;
  const stages = Object.entries(job.stages).map(([name, s]) => `${name}=${s.state}`).join(" ");
  const line = `${job.status} · ${job.phase} · ${stages}`;
  if (line !== last) say(`+${((Date.now() - started) / 1000).toFixed(1)}s  ${line}`);
  last = line;
  if (["completed", "failed", "canceled"].includes(job.status) || WAITING_FOR_NEXT_STAGE.has(job.phase)) break;
  if (Date.now() - started > TIMEOUT_MS) {
    say("timed out waiting for the job");
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 300));
}

say("job:", JSON.stringify(job, null, 2));
const after = (await memoryRef.get()).data();
if (after.postprocessing.transcript) {
  const [bytes] = await storage.bucket(buckets.POSTPROCESSING_BUCKET).file(after.postprocessing.transcript.words_object).download();
  const { words, model } = JSON.parse(bytes.toString());
  say(`transcript (${model}, ${words.length} words, ${after.postprocessing.transcript.speaker_count} speaker(s)):`);
  let line = "";
  let speaker = null;
  for (const w of words) {
    if (w.speaker !== speaker) {
      if (line) say(`  ${line}`);
      speaker = w.speaker;
      line = `[${w.start.toFixed(1)}s ${speaker}]`;
    }
    line += ` ${w.text}`;
  }
  if (line) say(`  ${line}`);
}
for (const name of [buckets.POSTPROCESSING_BUCKET, buckets.RECORDINGS_BUCKET]) {
  const [files] = await storage.bucket(name).getFiles({ prefix: `${DEMO_USER.uid}/` });
  say(`gs://${name}: ${files.map((f) => `${f.name} (${f.metadata.size} B)`).join(", ") || "(empty)"}`);
}
if (job.status === "failed" || job.status === "canceled") {
  say(`job ended ${job.status}: ${job.fail_reason}`);
  process.exit(1);
}
say(`memory now has ${after.transcript_segments.length} segment(s) (transcript version ${after.transcript_version}):`);
for (const s of after.transcript_segments) {
  const who = s.is_user ? "you" : s.person_id ? `person ${s.person_id}` : "unknown";
  say(`  [${s.start.toFixed(1)}–${s.end.toFixed(1)}s ${s.speaker} · ${who}] ${s.text}`);
}
say(WAITING_FOR_NEXT_STAGE.has(job.phase)
  ? "segments saved; the job now waits for the reprocess stage (not built yet), so it stays in_progress."
  : `job ${job.status}`);
