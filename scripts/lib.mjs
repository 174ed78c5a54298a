// Shared by the demo and seed scripts: the Admin SDK from functions/node_modules, emulator endpoints, sample audio.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export const require = createRequire(new URL("../functions/package.json", import.meta.url));
export const PROJECT_ID = process.env.GCLOUD_PROJECT || "demo-memories";
export const FUNCTIONS_BASE = `http://127.0.0.1:5001/${PROJECT_ID}/us-central1`;
export const AUTH_HOST = process.env.FIREBASE_AUTH_EMULATOR_HOST || "127.0.0.1:9099";
/** Real speech: the 11 s public-domain JFK clip vendored in functions/test/fixtures (see its README). */
export const SAMPLE_RECORDING = fileURLToPath(new URL("../functions/test/fixtures/jfk.wav", import.meta.url));

export const DEMO_USER = { uid: "demo-user", email: "demo@example.com", password: "demo-password", displayName: "Demo User" };
export const OTHER_USER = { uid: "other-user", email: "other@example.com", password: "other-password", displayName: "Other User" };
export const DEMO_MEMORY_ID = "demo-memory";

/** A user document as the app leaves it (the demo user allows audio storage; the other user does not). */
export const userDoc = (storeRecordingPermission) => ({ store_recording_permission: storeRecordingPermission, fcm_token: null });

const segment = (text, start, end) => ({ text, speaker: "SPEAKER_00", speaker_id: 0, is_user: false, person_id: null, start, end });

/**
 * The demo memory as the streaming backend leaves it: a rough live transcript, waiting for the full audio upload
 * (seeded by seed.mjs, restored by reset-demo.mjs).
 */
export function demoMemoryDoc(Timestamp) {
  const at = (iso) => Timestamp.fromDate(new Date(iso));
  return {
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
  };
}

/** The other user's memory (never readable by the demo user). */
export function otherMemoryDoc(Timestamp) {
  const at = (iso) => Timestamp.fromDate(new Date(iso));
  return {
    created_at: at("2026-11-21T09:00:00Z"), started_at: at("2026-11-21T08:59:00Z"), finished_at: at("2026-11-21T09:00:00Z"),
    source: "friend", language: "en", structured: { title: "Someone else's memory", overview: "", emoji: "🧠", category: "other", action_items: [], events: [] },
    transcript_segments: [segment("hello there", 0, 1.5)], geolocation: null, photos: [], plugins_results: [], external_data: null,
    discarded: false, deleted: false,
  };
}

export function admin() {
  const { initializeApp, getApps } = require("firebase-admin/app");
  const app = getApps()[0] ?? initializeApp({ projectId: PROJECT_ID });
  return {
    auth: require("firebase-admin/auth").getAuth(app),
    db: require("firebase-admin/firestore").getFirestore(app),
    storage: require("firebase-admin/storage").getStorage(app),
    Timestamp: require("firebase-admin/firestore").Timestamp,
  };
}

/** Signs in with email and password through the Auth emulator, as the app's Firebase Auth SDK would. */
export async function signIn(email, password) {
  const res = await fetch(`http://${AUTH_HOST}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo-api-key`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password, returnSecureToken: true }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`sign-in failed: ${JSON.stringify(body)}`);
  return body.idToken;
}
