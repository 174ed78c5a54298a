/** Test-process environment: the same params the emulated functions read from functions/.env*. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// emulators:exec sets GCLOUD_PROJECT; unit tests run as the offline demo project.
const projectId = process.env.GCLOUD_PROJECT ?? "demo-memories";
// Like the Functions runtime: .env.<projectId> overrides .env; variables already in the environment win.
const values: Record<string, string> = {};
for (const file of [".env", `.env.${projectId}`]) {
  const text = readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), "utf8");
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) values[m[1]] = m[2]!;
  }
}
for (const [key, value] of Object.entries(values)) process.env[key] ??= value;
process.env.GCLOUD_PROJECT ??= projectId;
process.env.FIREBASE_CONFIG ??= JSON.stringify({ projectId, storageBucket: `${projectId}.appspot.com` });
