/**
 * Concurrent uploads: many memories uploaded at once all complete, each with exactly one job, none lost or
 * duplicated. CI runs LOAD_UPLOADS (8 by default); `npm run bench` runs 50 and reports time and memory.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { db } from "../../src/store/firebase.js";
import { memoryPath } from "../../src/store/paths.js";
import { createMemory, createUser, postAudio, readMemory, waitFor } from "../support/emulators.js";

const JFK = fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url));
const UPLOADS = Number(process.env.LOAD_UPLOADS ?? 8);

describe("load", () => {
  it(
    `${UPLOADS} concurrent uploads for ${UPLOADS} memories all complete, once each`,
    { timeout: 300_000 },
    async () => {
      const audio = await readFile(JFK);
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
        { what: "every job to end", timeoutMs: 280_000 },
      );
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
