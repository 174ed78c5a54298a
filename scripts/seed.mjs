// Seeds the emulators with the demo data; `npm run seed:export` runs it and exports the result to emulator-data/.
import { admin, DEMO_MEMORY_ID, DEMO_USER, OTHER_USER } from "./lib.mjs";

const { auth, db, Timestamp } = admin();
const at = (iso) => Timestamp.fromDate(new Date(iso));

for (const user of [DEMO_USER, OTHER_USER]) {
  await auth.createUser({ ...user, emailVerified: true });
}
await db.doc(`users/${DEMO_USER.uid}`).set({ store_recording_permission: true, fcm_token: null });
await db.doc(`users/${OTHER_USER.uid}`).set({ store_recording_permission: false, fcm_token: null });

// A memory as the streaming backend leaves it: a rough live transcript, waiting for the full audio upload.
const segment = (text, start, end) => ({ text, speaker: "SPEAKER_00", speaker_id: 0, is_user: false, person_id: null, start, end });
await db.doc(`users/${DEMO_USER.uid}/memories/${DEMO_MEMORY_ID}`).set({
  created_at: at("2026-11-20T18:02:11Z"),
  started_at: at("2026-11-20T18:01:59Z"),
  finished_at: at("2026-11-20T18:02:10Z"),
  source: "friend",
  language: "en",
  structured: {
    title: "Ask not",
    overview: "A short excerpt about what citizens can do for their country.",
    emoji: "🇺🇸",
    category: "politics",
    action_items: [],
    events: [],
  },
  // What live transcription caught (it misses words; the full upload is transcribed again).
  transcript_segments: [
    segment("my fellow americans", 0.3, 3.1),
    segment("ask not what your country", 3.3, 7.2),
    segment("what you can do", 7.6, 10.6),
  ],
  geolocation: null,
  photos: [],
  plugins_results: [],
  external_data: null,
  discarded: false,
  deleted: false,
});
await db.doc(`users/${OTHER_USER.uid}/memories/other-memory`).set({
  created_at: at("2026-11-21T09:00:00Z"), started_at: at("2026-11-21T08:59:00Z"), finished_at: at("2026-11-21T09:00:00Z"),
  source: "friend", language: "en", structured: { title: "Someone else's memory", overview: "", emoji: "🧠", category: "other", action_items: [], events: [] },
  transcript_segments: [segment("hello there", 0, 1.5)], geolocation: null, photos: [], plugins_results: [], external_data: null,
  discarded: false, deleted: false,
});
console.log("seeded: users demo-user, other-user; memories demo-memory, other-memory");
