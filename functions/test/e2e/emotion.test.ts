/**
 * The optional emotion stage on the offline adapters through the emulated triggers (VADER text analyzer, notifications
 * recorded only), and the FCM notifier's token handling through the stage in this process. firebase-admin's messaging
 * cannot be pointed at a local server here (it needs Google OAuth credentials and its `httpAgent` cannot change the
 * host), so FCM's answers come from a stand-in `sendEach` with FCM's error codes, at the notifier interface.
 */
import type { BatchResponse, Messaging } from "firebase-admin/messaging";
import { describe, expect, it } from "vitest";
import { LocalTextEmotionAnalyzer } from "../../src/providers/emotion/local.js";
import { FcmNotifier } from "../../src/providers/notifier/fcm.js";
import { emotion } from "../../src/stages/emotion.js";
import { db } from "../../src/store/firebase.js";
import { notificationPath } from "../../src/store/notifications.js";
import { config, createMemory, createUser, postAudio, readMemory, uniqueId, waitFor } from "../support/emulators.js";
import { jfkSegments, jobAwaitingEmotion } from "../support/emotionJobs.js";
import { skipsOf, waitForSkips } from "../support/logLines.js";
import { deliver } from "../support/jobs.js";

const HAPPY = ["I love this, it is wonderful", "ask not what your country", "I am so happy and grateful today"];
const settled = (job: { uid: string; memoryId: string }) =>
  waitFor(
    async () => {
      const s = (await readMemory(job.uid, job.memoryId))!.postprocessing.stages.emotion;
      return s && ["done", "skipped", "failed"].includes(s.state) ? s : null;
    },
    { what: "the emotion stage to finish", timeoutMs: 150_000 },
  );
const notification = async (job: { uid: string; jobId: string }) =>
  (await db().doc(notificationPath(job.uid, job.jobId)).get()).data();

describe("emotion (offline adapters)", () => {
  it("never runs without emotional_feedback", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const res = await postAudio({
      memoryId,
      token: user.idToken,
      file: (await import("node:fs")).readFileSync(new URL("../fixtures/jfk.wav", import.meta.url)),
    });
    const jobId = (await res.json()).postprocessing.job_id as string;
    const pp = await waitFor(
      async () => {
        const p = (await readMemory(user.uid, memoryId))!.postprocessing;
        return p.status !== "in_progress" ? p : null;
      },
      { timeoutMs: 150_000 },
    );
    expect(pp.status).toBe("completed");
    expect(pp.stages.emotion).toBeUndefined();
    expect(await notification({ uid: user.uid, jobId })).toBeUndefined();
  });

  it("runs after the job completed when asked for, and closes when it ends", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const res = await postAudio({
      memoryId,
      token: user.idToken,
      query: "?emotional_feedback=true",
      file: (await import("node:fs")).readFileSync(new URL("../fixtures/jfk.wav", import.meta.url)),
    });
    expect(res.status).toBe(200);
    const pp = await waitFor(
      async () => {
        const p = (await readMemory(user.uid, memoryId))!.postprocessing;
        return p.status !== "in_progress" && !p.optional_open ? p : null;
      },
      { what: "the job and its emotion stage to end", timeoutMs: 150_000 },
    );
    expect(pp.status).toBe("completed");
    expect(pp.flags).toEqual({ emotional_feedback: true });
    // No voice profile, so no speech is known to be the user's: nothing is analysed or sent.
    expect(pp.stages.emotion).toMatchObject({
      state: "skipped",
      skip_reason: expect.stringMatching(/^no_user_speech/),
    });
    expect(pp.optional_open).toBe(false);
  });

  it("stores the summary of the user's speech and records one notification, also for repeated deliveries", async () => {
    const job = await jobAwaitingEmotion(jfkSegments([0, 2], HAPPY));
    await Promise.all([deliver("emotion", job), deliver("emotion", job), deliver("emotion", job)]);
    expect(await settled(job)).toMatchObject({ state: "done", attempts: 1 });
    const memory = (await readMemory(job.uid, job.memoryId))!;
    expect(memory.emotion.model).toBe("local:vader-text-valence");
    expect(memory.emotion.top.map((e: { name: string }) => e.name)).toContain("joy");
    const joy = memory.emotion.top.find((e: { name: string }) => e.name === "joy");
    expect(joy.peaks[0].start === 0.3 || joy.peaks[0].start === 7.6).toBe(true); // the user's turns only
    expect(memory.emotion.analyzed_seconds).toBeCloseTo(2.8 + 3.0, 1);
    const skipped = (await skipsOf(job.jobId, "emotion")).length;
    await deliver("emotion", job);
    // That late delivery ran and skipped (the stage is done): only then does "one notification" mean something.
    await waitForSkips(job.jobId, skipped, 1, { stage: "emotion" });
    const notes = await db().collection(`users/${job.uid}/notifications`).get();
    expect(notes.size).toBe(1);
    expect(notes.docs[0].data()).toMatchObject({ job_id: job.jobId, delivery: "local", status: "recorded" });
  });

  it("skips, sending nothing, when the user never spoke", async () => {
    const job = await jobAwaitingEmotion(jfkSegments([], HAPPY));
    await deliver("emotion", job);
    expect(await settled(job)).toMatchObject({
      state: "skipped",
      skip_reason: expect.stringMatching(/^no_user_speech/),
    });
    expect((await readMemory(job.uid, job.memoryId))!.emotion).toBeUndefined();
    expect(await notification(job)).toBeUndefined();
  });
});

describe("FCM notifications (stand-in sendEach)", () => {
  /** A `sendEach` answering per token from a script: "ok", an FCM error code, or a list consumed call by call. */
  function fakeMessaging(script: Record<string, string[]>) {
    const calls: string[][] = [];
    const messaging = {
      sendEach: async (
        messages: { token: string; data?: Record<string, string>; notification?: { body?: string } }[],
      ) => {
        calls.push(messages.map((m) => m.token));
        const responses = messages.map((m) => {
          const outcome = script[m.token].length > 1 ? script[m.token].shift()! : script[m.token][0];
          return outcome === "ok"
            ? { success: true, messageId: `projects/p/messages/${uniqueId("m")}` }
            : { success: false, error: { code: outcome, message: outcome } };
        });
        return { responses, successCount: 0, failureCount: 0 } as unknown as BatchResponse;
      },
    } as unknown as Messaging;
    return { messaging, calls };
  }

  it("sends to every token, drops unregistered ones, retries transient failures, sends once per job", async () => {
    const fcm = fakeMessaging({
      good: ["ok"],
      dead: ["messaging/registration-token-not-registered"],
      flaky: ["messaging/internal-error", "ok"],
    });
    const job = await jobAwaitingEmotion(jfkSegments([0, 2], HAPPY), {
      fcm_token: "dead",
      fcm_tokens: ["good", "flaky"],
    });
    const deps = (eventId: string) => ({
      config,
      now: () => new Date(),
      eventId,
      eventTime: new Date(),
      maxEventAgeMs: 3_600_000,
      deadline: new Date(Date.now() + 510_000),
      analyzer: async () => new LocalTextEmotionAnalyzer(),
      notifier: async () => new FcmNotifier(() => fcm.messaging, 3, 10),
    });
    await emotion(job, deps(uniqueId("evt")));
    await emotion(job, deps(uniqueId("evt"))); // a duplicate delivery
    expect(fcm.calls).toEqual([["dead", "good", "flaky"], ["flaky"]]);
    const note = (await notification(job))!;
    expect(note.status).toBe("sent");
    expect(note.tokens.map((t: { status: string }) => t.status)).toEqual(["invalid", "sent", "sent"]);
    const user = (await db().doc(`users/${job.uid}`).get()).data()!;
    expect(user.fcm_token).toBeUndefined();
    expect(user.fcm_tokens).toEqual(["good", "flaky"]);
  });
});
