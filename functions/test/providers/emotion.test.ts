/**
 * Emotion analysis with the Hume adapter (our typed client in the emulated `emotion` function, pointed at a local
 * stand-in of Hume's expression API): only the user's speech is sent, measurements land on the transcript's time line,
 * retries honour Retry-After, failures never touch the job, a long recording is split over requests.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "../../src/store/firebase.js";
import { notificationPath } from "../../src/store/notifications.js";
import { config, readMemory, redriveStalled, runScheduled, waitFor } from "../support/emulators.js";
import { jfkSegments, jobAwaitingEmotion } from "../support/emotionJobs.js";
import { FakeHume } from "../support/fakeHume.js";
import { deliver } from "../support/jobs.js";
import { logLines } from "../support/logLines.js";
import { planUserAudio } from "../../src/providers/emotion/userAudio.js";
import { MULTIPART_OVERHEAD_BYTES } from "../../src/providers/emotion/humeClient.js";

const hume = new FakeHume();
beforeAll(() => hume.start());
afterAll(() => hume.stop());
beforeEach(() => hume.reset());

type Job = Awaited<ReturnType<typeof jobAwaitingEmotion>>;
const emotionStage = async (job: Job) => (await readMemory(job.uid, job.memoryId))!.postprocessing.stages.emotion;
const settled = (job: Job, timeoutMs = 150_000) =>
  waitFor(
    async () => {
      const s = await emotionStage(job);
      return ["done", "skipped", "failed"].includes(s.state) ? s : null;
    },
    { what: "the emotion stage to finish", timeoutMs },
  );

describe("emotion analysis with Hume", () => {
  it("sends only the user's speech, stores a summary on the transcript's time line, and notifies once", async () => {
    const job = await jobAwaitingEmotion(jfkSegments([0, 2]), { fcm_token: "device-token-1" });
    await deliver("emotion", job);
    expect(await settled(job)).toMatchObject({ state: "done" });
    // Turns 0 and 2 (2.8 s + 3.0 s) and one joining silence: not the 11 s recording.
    expect(hume.requests).toHaveLength(1);
    expect(hume.requests[0].apiKey).toBe("placeholder-not-a-real-key");
    expect(hume.requests[0].seconds).toBeCloseTo(2.8 + 0.3 + 3.0, 1);
    const memory = (await readMemory(job.uid, job.memoryId))!;
    expect(memory.emotion.model).toBe("hume:expression-audio-v1");
    // Hume's lowercase name, its probability as the 4-decimal figure it sends, "anxiety" under the cutoff not at all.
    expect(memory.emotion.top[0]).toMatchObject({ name: "joy", score: 0.821 });
    expect(memory.emotion.top.map((e: { name: string }) => e.name)).toEqual(["joy", "calmness", "interest"]);
    // The user's speech analysed: the two turns, not the silence joining them.
    expect(memory.emotion.analyzed_seconds).toBeCloseTo(2.8 + 3.0, 1);
    // Peaks are on the recording's clock: inside the user's turns, never in the other speaker's.
    for (const peak of memory.emotion.top[0].peaks) {
      const inUserTurn = (peak.start >= 0.29 && peak.start <= 3.11) || (peak.start >= 7.59 && peak.start <= 10.61);
      expect(inUserTurn).toBe(true);
    }
    expect(memory.postprocessing.status).toBe("completed");
    const hume$ = Object.values(memory.postprocessing.usage.calls).find((c: any) => c.provider === "hume") as any;
    expect(hume$).toMatchObject({ kind: "expression", stage: "emotion" });
    expect(hume$.estimated_cost_usd).toBeCloseTo(hume$.audio_seconds * config.prices.hume_audio_second, 8);
    const note = (await db().doc(notificationPath(job.uid, job.jobId)).get()).data()!;
    expect(note).toMatchObject({
      title: "A bright moment",
      emotion: "joy",
      memory_id: job.memoryId,
      delivery: "local",
    });
    expect(note.body).not.toMatch(/fellow|country/); // never transcript text
  });

  it("retries a 429 after its Retry-After, then succeeds", async () => {
    hume.replies = [{ status: 429, body: '{"message":"Too many requests"}', headers: { "retry-after": "1" } }];
    const job = await jobAwaitingEmotion(jfkSegments([0]));
    const started = Date.now();
    await deliver("emotion", job);
    expect(await settled(job)).toMatchObject({ state: "done" });
    expect(hume.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThan(1000);
  });

  it("splits a recording larger than one request and merges the measurements in time order", async () => {
    const job = await jobAwaitingEmotion(jfkSegments([0, 1, 2]));
    await deliver("emotion", job);
    expect(await settled(job)).toMatchObject({ state: "done" });
    expect(hume.requests.length).toBeGreaterThanOrEqual(2);
    // HUME_MAX_REQUEST_BYTES (200 kB in this project) holds the whole multipart body, not only the WAV in it.
    for (const r of hume.requests) expect(r.bytes).toBeLessThanOrEqual(config.humeMaxRequestBytes);
    const memory = (await readMemory(job.uid, job.memoryId))!;
    const calls = Object.values(memory.postprocessing.usage.calls).filter((c: any) => c.provider === "hume");
    expect(calls).toHaveLength(hume.requests.length);
    const peaks = memory.emotion.top[0].peaks as { start: number }[];
    expect(peaks.length).toBeGreaterThan(0);
    expect(Math.max(...peaks.map((p) => p.start))).toBeLessThanOrEqual(10.6);
  });

  it("never pays twice for a request: a failure after one was paid resumes at the next one", async () => {
    // Request 1 answers; request 2 fails on every try of the first attempt (the client's retries included).
    hume.replies = [null, ...Array.from({ length: config.humeMaxRetries + 1 }, () => ({ status: 503, body: "{}" }))];
    const job = await jobAwaitingEmotion(jfkSegments([0, 1, 2]));
    await deliver("emotion", job);
    await waitFor(
      async () => {
        const stage = await emotionStage(job);
        return stage.state === "pending" && stage.attempts === 1;
      },
      { what: "the failed attempt" },
    );
    await redriveStalled();
    expect(await settled(job)).toMatchObject({ state: "done", attempts: 2 });
    const memory = (await readMemory(job.uid, job.memoryId))!;
    const calls = Object.values(memory.postprocessing.usage.calls).filter((c: any) => c.provider === "hume");
    // Every request of the plan once in the ledger (the first one's too, though its attempt failed) and logged once.
    const planned = planUserAudio(jfkSegments([0, 1, 2]), {
      maxBytes: config.humeMaxRequestBytes - MULTIPART_OVERHEAD_BYTES,
      maxSeconds: config.emotionMaxSpeechSeconds,
    }).length;
    expect(planned).toBeGreaterThanOrEqual(2);
    // Answered requests: exactly the plan, so request 1 was not sent again on the second attempt.
    expect(hume.requests.length - (config.humeMaxRetries + 1)).toBe(planned);
    expect(calls).toHaveLength(planned);
    const logged = await logLines((l) => l.event === "provider_call" && l.jobId === job.jobId);
    expect(logged).toHaveLength(planned);
  });

  it("a crash after Hume was paid: the re-drive completes from the checkpoint, paying Hume once", async () => {
    const job = await jobAwaitingEmotion(jfkSegments([0, 1, 2]));
    await db()
      .doc(`users/${job.uid}/memories/${job.memoryId}`)
      .update({ test_faults: { "emotion:after_work": 1 } });
    await deliver("emotion", job);
    await waitFor(
      async () => ((await readMemory(job.uid, job.memoryId))!.test_faults["emotion:after_work"] === 0 ? true : null),
      { what: "the crash after the work" },
    );
    const paid = hume.requests.length;
    expect(paid).toBeGreaterThanOrEqual(2);
    await runScheduled("recoverStalledJobs");
    expect(await settled(job)).toMatchObject({ state: "done", attempts: 2 });
    expect(hume.requests).toHaveLength(paid);
    const memory = (await readMemory(job.uid, job.memoryId))!;
    const calls = Object.values(memory.postprocessing.usage.calls).filter((c: any) => c.provider === "hume");
    expect(calls).toHaveLength(paid);
    expect(await logLines((l) => l.event === "provider_call" && l.jobId === job.jobId)).toHaveLength(paid);
  });

  it("answers garbage with a clear failure of the stage, the job still completed", async () => {
    hume.replies = [{ status: 200, body: "<html>oops</html>" }];
    const job = await jobAwaitingEmotion(jfkSegments([0]));
    await deliver("emotion", job);
    const stage = await settled(job);
    expect(stage.state).toBe("failed");
    expect(stage.last_error).toMatch(/^hume_bad_output: Hume answered with something that is not JSON/);
    const memory = (await readMemory(job.uid, job.memoryId))!;
    expect(memory.postprocessing.status).toBe("completed");
    expect(memory.postprocessing.fail_reason).toBeNull();
    expect(memory.emotion).toBeUndefined();
  });

  it(
    "gives up after the stage's attempts on a Hume that keeps failing, the job still completed",
    { timeout: 480_000 },
    async () => {
      hume.replies = Array.from({ length: 40 }, () => ({ status: 500, body: '{"message":"internal"}' }));
      const job = await jobAwaitingEmotion(jfkSegments([0]));
      await deliver("emotion", job);
      const deadline = Date.now() + 420_000;
      let stage = await emotionStage(job);
      while (stage.state !== "failed" && Date.now() < deadline) {
        // Once an attempt has given the stage back (the emulator does not redeliver), re-drive as if a lease passed.
        if (stage.state === "pending" && stage.attempts > 0) {
          const attempts = stage.attempts;
          await redriveStalled();
          await waitFor(
            async () => {
              const next = await emotionStage(job);
              return next.attempts > attempts || next.state !== "pending";
            },
            { what: "the next attempt" },
          );
        }
        await new Promise((r) => setTimeout(r, 1000));
        stage = await emotionStage(job);
      }
      expect(stage.state).toBe("failed");
      expect(stage.last_error).toMatch(/after 5 attempts: .*Hume expression returned 500/);
      expect(hume.requests.length).toBe(config.stageMaxAttempts * (config.humeMaxRetries + 1));
      expect((await readMemory(job.uid, job.memoryId))!.postprocessing.status).toBe("completed");
      expect((await db().doc(notificationPath(job.uid, job.jobId)).get()).exists).toBe(false);
    },
  );
});
