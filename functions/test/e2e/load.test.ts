/**
 * Concurrent uploads: many memories uploaded at once all complete, each with exactly one job, none lost or
 * duplicated. CI runs LOAD_UPLOADS (8 by default); `npm run bench` runs 50 and reports time and memory.
 */
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { db } from "../../src/store/firebase.js";
import { memoryPath } from "../../src/store/paths.js";
import { createMemory, createUser, postAudio, readMemory, waitFor } from "../support/emulators.js";

const JFK = fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url));
const UPLOADS = Number(process.env.LOAD_UPLOADS ?? 8);
/**
 * The offline transcriber does the speech-to-text on this machine's CPUs, about 5 CPU-seconds per upload of the clip,
 * and every concurrent invocation gets a worker process of its own: on 2 CPUs fifty uploads take minutes.
 */
const TIMEOUT_MS = Math.max(300_000, UPLOADS * 20_000);

/** Resident memory of the Functions emulator's worker processes (where the functions run), in MiB. */
function functionsRssMiB(): number {
  const out = execFileSync("ps", ["-eo", "rss=,args="], { encoding: "utf8" });
  const kib = out
    .split("\n")
    .filter((line) => line.includes("functionsEmulatorRuntime"))
    .reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[0] ?? 0), 0);
  return kib / 1024;
}

describe("load", () => {
  it(
    `${UPLOADS} concurrent uploads for ${UPLOADS} memories all complete, once each`,
    { timeout: TIMEOUT_MS },
    async () => {
      const audio = await readFile(JFK);
      let peakMiB = functionsRssMiB();
      const sampler = setInterval(() => (peakMiB = Math.max(peakMiB, functionsRssMiB())), 500);
      const started = Date.now();
      const users = await Promise.all(Array.from({ length: Math.ceil(UPLOADS / 2) }, () => createUser()));
      const memories = await Promise.all(
        Array.from({ length: UPLOADS }, async (_, i) => {
          const user = users[i % users.length];
          return { user, memoryId: await createMemory(user.uid) };
        }),
      );
      const responses = await Promise.all(
        memories.map(({ user, memoryId }) => postAudio({ memoryId, token: user.idToken, file: audio })),
      );
      expect(responses.map((r) => r.status)).toEqual(memories.map(() => 200));
      const jobIds = await Promise.all(responses.map(async (r) => (await r.json()).postprocessing.job_id as string));
      expect(new Set(jobIds).size).toBe(UPLOADS);

      const finished = await waitFor(
        async () => {
          const pps = await Promise.all(
            memories.map(async ({ user, memoryId }) => (await readMemory(user.uid, memoryId))!.postprocessing),
          );
          return pps.every((p) => ["completed", "failed", "canceled"].includes(p.status)) ? pps : null;
        },
        { what: "every job to end", timeoutMs: TIMEOUT_MS - 20_000 },
      );
      const wallMs = Date.now() - started;
      clearInterval(sampler);
      if (process.env.BENCH_LOAD) {
        const result = {
          what: "concurrent uploads of the 11 s JFK clip, each to its own memory, offline adapters, one emulator suite",
          uploads: UPLOADS,
          allCompleted: finished.every((p) => p.status === "completed"),
          wallMs,
          wallPerUploadMs: Math.round(wallMs / UPLOADS),
          functionsPeakRssMiB: Math.round(peakMiB),
        };
        console.log(JSON.stringify(result, null, 2));
        await mkdir(new URL("../../../bench-results/", import.meta.url), { recursive: true });
        await writeFile(
          new URL("../../../bench-results/load.json", import.meta.url),
          `${JSON.stringify(result, null, 2)}\n`,
        );
      }
      finished.forEach((p, i) => {
        expect(p.status, memories[i].memoryId).toBe("completed");
        expect(p.job_id).toBe(jobIds[i]);
        for (const stage of ["prepare_audio", "segment", "identify", "reprocess"])
          expect(p.stages[stage].attempts).toBe(1);
      });
      // One new transcript version per memory.
      const versions = await Promise.all(
        memories.map(({ user, memoryId }) =>
          db()
            .collection(`${memoryPath(user.uid, memoryId)}/transcripts`)
            .count()
            .get(),
        ),
      );
      expect(versions.map((v) => v.data().count)).toEqual(memories.map(() => 2));
    },
  );
});
