/**
 * Concurrent uploads: many memories uploaded at once all complete, each with exactly one job, none lost or
 * duplicated. Run by test/e2e/load.test.ts (offline adapters) and test/providers/load.test.ts (the production path:
 * FAL and OpenAI stand-ins). `npm test` runs LOAD_UPLOADS (8 by default); `npm run bench` runs 50 on the production
 * path and writes the wall time and peak memory to bench-results/load.json (BENCH_LOAD=1).
 */
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { db } from "../../src/store/firebase.js";
import { memoryPath } from "../../src/store/paths.js";
import { writeBenchFigure } from "./benchFigures.js";
import { decodeWavSamples, encodeWavSamples } from "../../src/audio/pcm.js";
import { createMemory, createUser, postAudio, readMemory, waitFor } from "./emulators.js";

const JFK = fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url));

export const LOAD_UPLOADS = Number(process.env.LOAD_UPLOADS ?? 8);
/**
 * The time a run may take: every concurrent invocation gets a worker process of its own in the Functions emulator,
 * and the offline transcriber does its speech-to-text on this machine's CPUs (about 5 CPU-seconds per upload).
 */
export const loadTimeoutMs = (perUploadMs: number) => Math.max(300_000, LOAD_UPLOADS * perUploadMs);

/** The Functions emulator's worker processes (where the functions run): how many, and their resident memory in MiB. */
function functionsWorkers(): { count: number; rssMiB: number } {
  const out = execFileSync("ps", ["-eo", "rss=,args="], { encoding: "utf8" });
  const workers = out.split("\n").filter((line) => line.includes("functionsEmulatorRuntime"));
  const kib = workers.reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[0] ?? 0), 0);
  return { count: workers.length, rssMiB: kib / 1024 };
}

/** Uploads the 11 s JFK clip to LOAD_UPLOADS new memories at once, waits for every job, and checks each ran once. */
/**
 * The JFK clip with `i` tenths of a second of silence in front: each upload of a run is different audio, so a mix-up
 * of two memories' audio shows in their transcripts.
 */
function jfkVariant(jfk: Buffer, i: number): Buffer {
  const { samples, sampleRate } = decodeWavSamples(jfk);
  const shifted = new Float32Array(samples.length + Math.round((i * sampleRate) / 10));
  shifted.set(samples, shifted.length - samples.length);
  return encodeWavSamples(shifted, sampleRate);
}

export async function runConcurrentUploads(opts: { path: string; timeoutMs: number; benchFile?: string }) {
  const jfk = await readFile(JFK);
  const peak = functionsWorkers();
  const sampler = setInterval(() => {
    const now = functionsWorkers();
    peak.count = Math.max(peak.count, now.count);
    peak.rssMiB = Math.max(peak.rssMiB, now.rssMiB);
  }, 500);
  try {
    const started = Date.now();
    const users = await Promise.all(Array.from({ length: Math.ceil(LOAD_UPLOADS / 2) }, () => createUser()));
    const memories = await Promise.all(
      Array.from({ length: LOAD_UPLOADS }, async (_, i) => {
        const user = users[i % users.length];
        return { user, memoryId: await createMemory(user.uid) };
      }),
    );
    const responses = await Promise.all(
      memories.map(({ user, memoryId }, i) => postAudio({ memoryId, token: user.idToken, file: jfkVariant(jfk, i) })),
    );
    expect(responses.map((r) => r.status)).toEqual(memories.map(() => 200));
    const jobIds = await Promise.all(responses.map(async (r) => (await r.json()).postprocessing.job_id as string));
    expect(new Set(jobIds).size).toBe(LOAD_UPLOADS);

    const finished = await waitFor(
      async () => {
        const pps = await Promise.all(
          memories.map(async ({ user, memoryId }) => (await readMemory(user.uid, memoryId))!.postprocessing),
        );
        return pps.every((p) => ["completed", "failed", "canceled"].includes(p.status)) ? pps : null;
      },
      { what: "every job to end", timeoutMs: opts.timeoutMs - 20_000 },
    );
    const wallMs = Date.now() - started;
    if (process.env.BENCH_LOAD && opts.benchFile) {
      const stages = ["prepare_audio", "transcribe", "segment", "identify", "reprocess"];
      await writeBenchFigure(
        opts.benchFile,
        {
          what: `concurrent uploads of the 11 s JFK clip, each to its own memory, ${opts.path}, one emulator suite`,
          uploads: LOAD_UPLOADS,
          allCompleted: finished.every((p) => p.status === "completed"),
          wallMs,
          wallPerUploadMs: Math.round(wallMs / LOAD_UPLOADS),
          functionsPeakRssMiB: Math.round(peak.rssMiB),
          functionsPeakWorkerProcesses: peak.count,
          stagesClaimedMoreThanOnce: finished.reduce(
            (n, p) => n + stages.filter((s) => (p.stages[s]?.attempts ?? 0) > 1).length,
            0,
          ),
        },
        true,
      );
    }
    // Outcomes only: every job completed as itself (a stage claimed twice after its lease ran out on a slow machine
    // is no failure; paying twice or writing twice would be, and is checked by the callers and below).
    finished.forEach((p, i) => {
      expect(p.status, memories[i].memoryId).toBe("completed");
      expect(p.job_id).toBe(jobIds[i]);
      for (const stage of ["prepare_audio", "transcribe", "segment", "identify", "reprocess"])
        expect(p.stages[stage].state, `${memories[i].memoryId} ${stage}`).toBe("done");
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
    return { jobIds, memories };
  } finally {
    clearInterval(sampler);
  }
}
