/** Test-process environment: the same params the emulated functions read from functions/.env*. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const projectId = "demo-memories";
for (const file of [".env", `.env.${projectId}`]) {
  const text = readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), "utf8");
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m && process.env[m[1]!] === undefined) process.env[m[1]!] = m[2]!;
  }
}
process.env.GCLOUD_PROJECT ??= projectId;
process.env.FIREBASE_CONFIG ??= JSON.stringify({ projectId, storageBucket: `${projectId}.appspot.com` });
