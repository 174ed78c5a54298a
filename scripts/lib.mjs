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
