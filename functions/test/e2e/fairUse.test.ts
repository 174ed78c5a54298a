/**
 * Per-user fair use through the real endpoints: uploads past a cap are refused with 429 `fair_use_exceeded` and
 * Retry-After, nothing stored; the count is exact under concurrent uploads; stage re-runs have their own hourly limit;
 * `GET /v1/users/usage` shows each window. The caps are this project's (functions/.env: Omi's 2 h / 8 h / 10 h).
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { db } from "../../src/store/firebase.js";
import { memoryPath } from "../../src/store/paths.js";
import { usagePath } from "../../src/store/usage.js";
import {
  apiUrl,
  config,
  createMemory,
  createUser,
  objectNames,
  postAudio,
  readMemory,
  waitFor,
  type TestUser,
} from "../support/emulators.js";
import { seedJobAt } from "../support/jobs.js";

const JFK = fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url));
const JFK_SECONDS = 11;
const HOUR_MS = 3_600_000;

/** Counts `seconds` of audio as post-processed for the user `hoursAgo` hours ago. */
async function alreadyUsed(user: TestUser, seconds: number, hoursAgo: number) {
  const at = new Date(Date.now() - hoursAgo * HOUR_MS).toISOString();
  await db()
    .doc(usagePath(user.uid))
    .set({ jobs: { "earlier-job": { seconds, at, memory_id: "earlier", kind: "upload", exact: true } } });
  return at;
}

const get = (user: TestUser, path: string) =>
  fetch(apiUrl(path), { headers: { authorization: `Bearer ${user.idToken}` } });

describe("fair use", () => {
  it(
    "at the edge of the daily cap, exactly the concurrent uploads that fit get through; the rest change nothing",
    {
      timeout: 240_000,
    },
    async () => {
      const user = await createUser({ storeRecordings: true });
      const day = config.fairUse.day;
      expect(day).toBe(2 * 3600);
      // 25 s left today: two 11 s recordings fit, a third would not.
      const earlierAt = await alreadyUsed(user, day - 25, 2);
      const memories = await Promise.all(Array.from({ length: 4 }, () => createMemory(user.uid)));
      const audio = await readFile(JFK);
      const responses = await Promise.all(
        memories.map((memoryId) => postAudio({ memoryId, token: user.idToken, file: audio })),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 429, 429]);

      const usage = (await db().doc(usagePath(user.uid)).get()).get("jobs") as Record<string, { seconds: number }>;
      expect(Object.keys(usage)).toHaveLength(3);
      for (const [i, res] of responses.entries()) {
        const memoryId = memories[i];
        if (res.status === 200) continue;
        const body = (await res.json()) as { error: Record<string, unknown> };
        expect(body.error).toMatchObject({
          code: "fair_use_exceeded",
          window: "day",
          limit_seconds: day,
          used_seconds: day - 25 + 2 * JFK_SECONDS,
          requested_seconds: JFK_SECONDS,
          // The earlier job leaves the day's window 24 h after it was counted.
          frees_at: new Date(Date.parse(earlierAt) + 24 * HOUR_MS).toISOString(),
        });
        expect(body.error.message).toMatch(/would go over it\. Nothing was stored/);
        const retryAfter = Number(res.headers.get("retry-after"));
        expect(retryAfter).toBeGreaterThan(21 * 3600);
        expect(retryAfter).toBeLessThanOrEqual(22 * 3600 + 60);
        // Nothing stored: no job on the memory, no object in either bucket.
        expect((await readMemory(user.uid, memoryId))!.postprocessing).toBeUndefined();
        expect(await objectNames(config.postprocessingBucket, `${user.uid}/${memoryId}/`)).toEqual([]);
        expect(await objectNames(config.recordingsBucket, `${user.uid}/${memoryId}/`)).toEqual([]);
      }
    },
  );

  it("shows what the user has used and the limit of each window", async () => {
    const user = await createUser();
    await alreadyUsed(user, 3600, 30);
    const res = await get(user, "/v1/users/usage");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { windows: Record<string, unknown>[]; reruns: Record<string, unknown> };
    expect(body.windows).toEqual([
      {
        window: "day",
        hours: 24,
        used_seconds: 0,
        limit_seconds: config.fairUse.day,
        remaining_seconds: config.fairUse.day,
        next_release_at: null,
      },
      {
        window: "3_days",
        hours: 72,
        used_seconds: 3600,
        limit_seconds: config.fairUse["3_days"],
        remaining_seconds: config.fairUse["3_days"] - 3600,
        next_release_at: expect.any(String),
      },
      {
        window: "week",
        hours: 168,
        used_seconds: 3600,
        limit_seconds: config.fairUse.week,
        remaining_seconds: config.fairUse.week - 3600,
        next_release_at: expect.any(String),
      },
    ]);
    expect(body.reruns).toEqual({ limit_per_memory_per_hour: config.rerunsPerMemoryPerHour });
    expect((await fetch(apiUrl("/v1/users/usage"))).status).toBe(401);
  });

  it("limits a memory's stage re-runs per hour, with Retry-After, and counts them against the caps", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const job = await seedJobAt(user.uid, memoryId, "reprocess");
    await db()
      .doc(memoryPath(user.uid, memoryId))
      .update({ "postprocessing.status": "completed", "postprocessing.audio.duration_s": 40 });
    expect(job.jobId).toBeTruthy();
    const rerun = () =>
      fetch(apiUrl(`/v1/memories/${memoryId}/post-processing/stages/reprocess`), {
        method: "POST",
        headers: { authorization: `Bearer ${user.idToken}` },
      });
    for (let i = 0; i < config.rerunsPerMemoryPerHour; i++) {
      const res = await rerun();
      expect(res.status, await res.clone().text()).toBe(200);
      await waitFor(async () => (await readMemory(user.uid, memoryId))!.postprocessing.status === "completed", {
        what: `re-run ${i + 1} to complete`,
      });
    }
    const refused = await rerun();
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ code: "rerun_rate_limited", limit_per_hour: config.rerunsPerMemoryPerHour });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(3000);
    const usage = (await db().doc(usagePath(user.uid)).get()).get("jobs") as Record<string, { seconds: number }>;
    expect(Object.values(usage).map((e) => e.seconds)).toEqual(
      Array.from({ length: config.rerunsPerMemoryPerHour }, () => 40),
    );
  });
});
