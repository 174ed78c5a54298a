// `npm run demo`: runs inside `firebase emulators:exec` with the seed data imported. Signs in as the demo user,
// uploads a real recording exactly as the app does, follows the memory document with a Firestore listener (as the
// app does) until the job ends, then prints the results: the new transcript, the re-extracted structure, a search
// hit and the job's cost ledger.
import { readFile } from "node:fs/promises";
import {
  admin,
  DEMO_MEMORY_ID,
  DEMO_USER,
  FUNCTIONS_BASE,
  SAMPLE_RECORDING,
  signIn,
} from "./lib.mjs";

const TIMEOUT_MS = 180_000;
const { db } = admin();
const say = (...args) => console.log("\x1b[36m[demo]\x1b[0m", ...args);
// The demo asks for emotional feedback unless told not to (`node scripts/demo.mjs --no-emotional-feedback`).
const emotional = !process.argv.includes("--no-emotional-feedback");

const token = await signIn(DEMO_USER.email, DEMO_USER.password);
say(`signed in as ${DEMO_USER.email}`);

const memoryRef = db.doc(`users/${DEMO_USER.uid}/memories/${DEMO_MEMORY_ID}`);
const before = (await memoryRef.get()).data();
say(
  `memory "${before.structured.title}": ${before.transcript_segments.length} streaming segments, postprocessing ${before.postprocessing?.status ?? "not_started"}`,
);

const audio = await readFile(SAMPLE_RECORDING);
// Enroll the user's voice first, as the app's speech-profile screen does (here: the speaker of the sample recording),
// so speaker identification can mark the user's turns and emotion analysis has the user's speech to work on.
const sample = new FormData();
sample.append("file", new Blob([audio], { type: "audio/wav" }), "profile.wav");
const enrolled = await fetch(`${FUNCTIONS_BASE}/api/v3/upload-audio`, {
  method: "POST",
  headers: { authorization: `Bearer ${token}` },
  body: sample,
});
say(
  `voice profile: ${enrolled.status} ${JSON.stringify((await enrolled.json()).speech_profile ?? null)}`,
);

const form = new FormData();
form.append("file", new Blob([audio], { type: "audio/wav" }), "recording.wav");
const url = `${FUNCTIONS_BASE}/api/v1/memories/${DEMO_MEMORY_ID}/post-processing?emotional_feedback=${emotional}`;
say(`POST ${url} (${audio.length} bytes of audio)`);
const res = await fetch(url, {
  method: "POST",
  headers: { authorization: `Bearer ${token}` },
  body: form,
});
const body = await res.json();
if (res.status !== 200) {
  say(`refused: ${res.status} ${JSON.stringify(body)}`);
  process.exit(1);
}
const jobId = body.postprocessing.job_id;
say(`200 OK: job ${jobId}, status ${body.postprocessing.status}`);

// Follow the memory document as the app does (a listener); print the progress bar each time it changes.
const started = Date.now();
const memory = await new Promise((resolve, reject) => {
  let last = "";
  const timer = setTimeout(
    () => reject(new Error("timed out waiting for the job")),
    TIMEOUT_MS,
  );
  const stop = memoryRef.onSnapshot((snap) => {
    const pp = snap.get("postprocessing");
    if (!pp || pp.job_id !== jobId) return;
    // A progress bar the way the app would draw it: phase, percent and the estimated time left.
    const progress = pp.progress ?? {
      phase: pp.phase,
      percent: 0,
      eta_seconds: null,
    };
    const width = 30;
    const filled = Math.round((progress.percent / 100) * width);
    const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
    const eta =
      progress.eta_seconds === null
        ? ""
        : ` · about ${progress.eta_seconds}s left`;
    const optional =
      pp.status === "completed" && pp.optional_open
        ? " · emotion analysis still running"
        : "";
    const line = `${bar} ${String(progress.percent).padStart(3)}% ${progress.phase}${pp.status === "completed" ? "" : eta}${optional}`;
    if (line !== last)
      say(`+${((Date.now() - started) / 1000).toFixed(1)}s  ${line}`);
    last = line;
    // A completed job may still run its optional stage (emotion): wait for that too.
    if (
      ["failed", "canceled"].includes(pp.status) ||
      (pp.status === "completed" && !pp.optional_open)
    ) {
      clearTimeout(timer);
      stop();
      resolve(snap.data());
    }
  }, reject);
});

const pp = memory.postprocessing;
if (pp.status !== "completed") {
  say(`job ended ${pp.status}: ${pp.fail_reason}`);
  process.exit(1);
}
say(
  `transcript (${pp.transcript.model}, ${pp.transcript.word_count} words), now version ${memory.transcript_version}:`,
);
for (const s of memory.transcript_segments) {
  const who = s.is_user
    ? "you"
    : s.person_id
      ? `person ${s.person_id}`
      : "unknown";
  say(
    `  [${s.start.toFixed(1)}–${s.end.toFixed(1)}s ${s.speaker} · ${who}] ${s.text}`,
  );
}
const st = memory.structured;
say(`structure (${pp.reprocess?.extractor}):`);
say(`  title     ${st.emoji} ${st.title}  [${st.category}]`);
say(`  overview  ${st.overview}`);
say(
  `  actions   ${st.action_items.length ? st.action_items.map((a) => a.description).join(" · ") : "(none)"}`,
);
say(
  `  events    ${st.events.length ? st.events.map((e) => `${e.title} @ ${e.start}`).join(" · ") : "(none)"}`,
);
for (const warning of pp.warnings ?? []) say(`  warning   ${warning}`);
if (memory.emotion) {
  say(
    `emotion (${memory.emotion.model}): ${memory.emotion.top.map((e) => `${e.name} ${e.score.toFixed(2)}`).join(", ")}`,
  );
  const notes = await db
    .collection(`users/${DEMO_USER.uid}/notifications`)
    .where("memory_id", "==", DEMO_MEMORY_ID)
    .get();
  for (const n of notes.docs)
    say(
      `notification (${n.get("delivery")}): "${n.get("title")}: ${n.get("body")}"`,
    );
  if (notes.empty)
    say(
      "notification: none (no emotion but Neutral passed EMOTION_NOTIFY_THRESHOLD: nothing stood out)",
    );
} else if (pp.stages?.emotion) {
  const e = pp.stages.emotion;
  say(
    `emotion: ${e.state}${e.skip_reason ? ` (${e.skip_reason})` : ""}${e.last_error ? ` (${e.last_error})` : ""}`,
  );
}

// Search, as the app would: a phrase from the new transcript.
const phrase = memory.transcript_segments
  .map((s) => s.text)
  .join(" ")
  .split(/\s+/)
  .slice(0, 4)
  .join(" ");
const found = await (
  await fetch(
    `${FUNCTIONS_BASE}/api/v1/memories/search?${new URLSearchParams({ q: phrase, limit: "3" })}`,
    {
      headers: { authorization: `Bearer ${token}` },
    },
  )
).json();
say(`search "${phrase}" (${found.model}):`);
for (const r of found.results ?? [])
  say(`  ${r.id}  distance ${r.distance.toFixed(3)}  "${r.title}"`);

const usage = pp.usage ?? {};
const calls = Object.values(usage.calls ?? {});
const cost = calls.reduce((sum, c) => sum + c.estimated_cost_usd, 0);
say("ledger:");
for (const [stage, u] of Object.entries(usage.stages ?? {}))
  say(
    `  ${stage.padEnd(14)} ${String(u.wall_ms ?? 0).padStart(6)} ms of function time`,
  );
say(
  `  paid calls     ${calls.length ? calls.map((c) => `${c.provider} ${c.kind} $${c.estimated_cost_usd}`).join(", ") : "none (offline adapters)"}`,
);
say(
  `  estimated cost $${cost.toFixed(4)}; audio ${pp.audio.duration_s.toFixed(1)} s; done in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
say(`job completed at ${pp.completed_at}`);
process.exit(0);
