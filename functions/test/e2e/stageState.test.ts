/**
 * The stage state machine against the Firestore emulator, for the defects a review found: a stage that is done is
 * never reopened or redone (only its hand-off), a repeated completion keeps the next stage's state, a job whose memory
 * was deleted stops at the next stage boundary, and the re-drive looks only at jobs that stopped moving.
 */
import { describe, expect, it } from "vitest";
import type { Postprocessing } from "../../src/model/job.js";
import { completeStage, releaseStage } from "../../src/pipeline/stageState.js";
import { recoverStalledJobs } from "../../src/scheduled/recoverStalledJobs.js";
import { sweepExpiredAudio } from "../../src/scheduled/sweepExpiredAudio.js";
import { createFalTranscriber } from "../../src/providers/transcriber/create.js";
import { permanent } from "../../src/errors.js";
import { redriveTopicOf, topicOf } from "../../src/pipeline/definition.js";
import { bucket, db, pubsubClient } from "../../src/store/firebase.js";
import { memoryPath } from "../../src/store/paths.js";
import {
  config,
  createMemory,
  createUser,
  objectNames,
  readMemory,
  runScheduled,
  waitFor,
} from "../support/emulators.js";
import { deliver, seedJobAt } from "../support/jobs.js";
import { logLines, waitForLines, type LogLine } from "../support/logLines.js";
import { makeWav } from "../support/audio.js";

const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe("the stage state machine", () => {
  it("keeps a stage done when its hand-off fails; a repeated completion keeps the next stage", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const job = await seedJobAt(user.uid, memoryId, "segment");
    const ref = db().doc(memoryPath(user.uid, memoryId));
    await ref.update({
      "postprocessing.stages.segment": {
        state: "processing",
        attempts: 1,
        lease_expires_at: at(60_000),
        last_error: null,
        idempotency_key: "k1",
      },
    });
    const next = (await completeStage(job, "segment", { idempotencyKey: "k1", now: new Date(), stageLeaseMs: 600_000 }))
      ?.next;
    expect(next).toEqual(["identify"]);
    // The publish failed: the failure handler gives the stage back... but a done stage stays done.
    await releaseStage(job, "segment", "k1", "publish failed");
    let pp = (await readMemory(user.uid, memoryId))!.postprocessing as Postprocessing;
    expect(pp.stages.segment).toMatchObject({ state: "done", next_published: false });
    // The next stage has made progress meanwhile; completing `segment` again (any path) must not reset it.
    await ref.update({
      "postprocessing.stages.identify": {
        state: "waiting",
        attempts: 1,
        lease_expires_at: at(60_000),
        last_error: null,
        idempotency_key: "x",
        provider_request_id: "req-1",
      },
      "postprocessing.stages.segment.state": "processing",
    });
    await completeStage(job, "segment", { idempotencyKey: "k1", now: new Date(), stageLeaseMs: 600_000 });
    pp = (await readMemory(user.uid, memoryId))!.postprocessing as Postprocessing;
    expect(pp.stages.identify).toMatchObject({ state: "waiting", provider_request_id: "req-1" });
  });

  it("cancels the job at the next stage boundary when the memory was deleted, writing nothing new", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const before = (await readMemory(user.uid, memoryId))!.transcript_segments;
    const job = await seedJobAt(user.uid, memoryId, "segment");
    await db().doc(memoryPath(user.uid, memoryId)).update({ deleted: true });
    await deliver("segment", job);
    const pp = await waitFor(async () => {
      const p = (await readMemory(user.uid, memoryId))!.postprocessing;
      return p.status !== "in_progress" ? p : null;
    });
    expect(pp).toMatchObject({ status: "canceled", fail_reason: expect.stringMatching(/^memory_deleted/) });
    expect((await readMemory(user.uid, memoryId))!.transcript_segments).toEqual(before);
  });

  it("re-drives only jobs that stopped moving, including a stalled prepare_audio", async () => {
    const user = await createUser();
    const stale = await createMemory(user.uid);
    const fresh = await createMemory(user.uid);
    const staleJob = await seedJobAt(user.uid, stale, "prepare_audio");
    await seedJobAt(user.uid, fresh, "prepare_audio");
    // The stale one's delivery died an hour ago holding the lease.
    await db()
      .doc(memoryPath(user.uid, stale))
      .update({
        "postprocessing.updated_at": at(-3_600_000),
        "postprocessing.stages.prepare_audio": {
          state: "processing",
          attempts: 1,
          lease_expires_at: at(-3_000_000),
          last_error: null,
          idempotency_key: "gone",
        },
      });
    const report = await recoverStalledJobs({
      config,
      now: new Date(),
      transcriber: () => createFalTranscriber(config, ""),
    });
    const mine = report.redriven.filter((r) => [stale, fresh].includes(r.memoryId));
    expect(mine).toEqual([{ memoryId: stale, stage: "prepare_audio" }]);
    // Its upload never arrived and the job is older than JOB_STALE_AFTER_MINUTES? Not yet: it stays running.
    expect((await readMemory(user.uid, stale))!.postprocessing.job_id).toBe(staleJob.jobId);
  });

  it("reports a job idle for over three leases as stuck, from the scheduled function in the emulator", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const job = await seedJobAt(user.uid, memoryId, "segment");
    await db()
      .doc(memoryPath(user.uid, memoryId))
      .update({
        "postprocessing.updated_at": at(-4 * config.stageLeaseMs),
        "postprocessing.stages.segment": {
          state: "processing",
          attempts: 1,
          lease_expires_at: at(-3 * config.stageLeaseMs),
          last_error: null,
          idempotency_key: "gone",
        },
      });
    await runScheduled("recoverStalledJobs");
    // The line the deployed function writes (the emulated function's, filed under its Cloud Run service).
    const stuck = await waitForLines((l) => l.event === "job_stuck" && l.jobId === job.jobId && !!l.tee_resource, {
      what: "job_stuck",
    });
    expect(stuck).toHaveLength(1);
    expect(stuck[0]).toMatchObject({ stalledStage: "segment", tee_resource: { type: "cloud_run_revision" } });
    expect(Number(stuck[0].idleMinutes)).toBeGreaterThanOrEqual((4 * config.stageLeaseMs) / 60_000 - 1);
  });
});

describe("ending a job on a stale read", () => {
  it("a re-drive that read a waiting FAL stage does not fail it once the webhook has finished it", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    await seedJobAt(user.uid, memoryId, "transcribe");
    const ref = db().doc(memoryPath(user.uid, memoryId));
    // Waiting on FAL past the webhook grace period: the re-drive polls it.
    await ref.update({
      "postprocessing.updated_at": at(-3_600_000),
      "postprocessing.stages.transcribe": {
        state: "waiting",
        attempts: 1,
        lease_expires_at: at(-60_000),
        last_error: null,
        idempotency_key: "fal:req-1",
        provider: "fal",
        provider_request_id: "req-1",
        submitted_at: at(-3_600_000),
      },
    });
    // Between the re-drive's read of its page and its decision, the webhook finishes the stage; then FAL's status
    // call fails for good (the request is gone once its result was taken), which would fail the job.
    const transcriber = async () => {
      await ref.update({
        "postprocessing.stages.transcribe.state": "done",
        "postprocessing.stages.transcribe.next_published": true,
        "postprocessing.stages.transcribe.idempotency_key": "fal:req-1",
      });
      return {
        kind: "fal" as const,
        model: "fal-ai/whisper",
        status: async () => {
          throw permanent("fal_rejected", "FAL status returned 404: Request not found");
        },
        submit: async () => "never",
        result: async () => {
          throw new Error("never");
        },
        toTranscript: () => {
          throw new Error("never");
        },
      };
    };
    const report = await recoverStalledJobs({ config, now: new Date(), transcriber });
    expect(report.failed).not.toContain(memoryId);
    const pp = (await readMemory(user.uid, memoryId))!.postprocessing;
    expect(pp.status).toBe("in_progress");
    expect(pp.stages.transcribe.state).toBe("done");
    expect(pp.fail_reason).toBeNull();
  });

  it("a delivery that lost its lease cannot fail the stage's new owner", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const job = await seedJobAt(user.uid, memoryId, "segment");
    await db()
      .doc(memoryPath(user.uid, memoryId))
      .update({
        "postprocessing.stages.segment": {
          state: "processing",
          attempts: 2,
          lease_expires_at: at(600_000),
          last_error: null,
          idempotency_key: "new-owner",
        },
      });
    const { handleStageFailure } = await import("../../src/pipeline/stageFailure.js");
    await handleStageFailure(permanent("bad_input", "from the old delivery"), {
      job,
      stage: "segment",
      idempotencyKey: "old-owner",
      now: new Date(),
      eventTime: new Date(),
      maxEventAgeMs: 3_600_000,
      log: {},
      startedMs: Date.now(),
      claimed: true,
    });
    const pp = (await readMemory(user.uid, memoryId))!.postprocessing;
    expect(pp.status).toBe("in_progress");
    expect(pp.stages.segment).toMatchObject({ state: "processing", idempotency_key: "new-owner" });
  });
});

describe("jobs that cannot go on", () => {
  it("drops a malformed message with a bad_message line, on a stage's topic and on a re-drive topic", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const job = await seedJobAt(user.uid, memoryId, "segment");
    const before = (await readMemory(user.uid, memoryId))!.postprocessing;
    const pubsub = await pubsubClient();
    for (const topic of [topicOf("segment")!, redriveTopicOf("prepare_audio")]) {
      const dropped = (l: LogLine) => l.event === "bad_message" && l.topic === topic;
      const earlier = (await logLines(dropped)).length;
      // The job's ids, but the job id a number: no retry of this message could ever succeed.
      await pubsub.topic(topic).publishMessage({ json: { ...job, jobId: 42 } });
      const [line] = (await waitForLines(dropped, { what: `bad_message on ${topic}`, count: earlier + 1 })).slice(
        earlier,
      );
      expect(line).toMatchObject({ severity: "ERROR", outcome: "dropped", issue: expect.stringMatching(/string/) });
    }
    // Nothing ran: the job is as it was seeded.
    expect((await readMemory(user.uid, memoryId))!.postprocessing).toEqual(before);
  });

  it("fails with malformed_job when the job on the memory cannot be read, touching nothing else", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const before = (await readMemory(user.uid, memoryId))!.transcript_segments;
    const job = await seedJobAt(user.uid, memoryId, "segment");
    // Something wrote nonsense into the job (a client bug, a bad migration).
    await db().doc(memoryPath(user.uid, memoryId)).update({ "postprocessing.stages.segment.attempts": "many" });
    await deliver("segment", job);
    const pp = await waitFor(async () => {
      const p = (await readMemory(user.uid, memoryId))!.postprocessing;
      return p.status !== "in_progress" ? p : null;
    });
    expect(pp.status).toBe("failed");
    expect(pp.fail_reason).toMatch(/^malformed_job: The memory's postprocessing field is malformed \(stages\.segment/);
    expect((await readMemory(user.uid, memoryId))!.transcript_segments).toEqual(before);
  });

  it("fails with transcript_too_large when the new transcript would not fit, keeping the old one", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const before = (await readMemory(user.uid, memoryId))!.transcript_segments;
    const job = await seedJobAt(user.uid, memoryId, "identify");
    // A megabyte of words in 5 s segments: more than the 800 KiB a memory document holds besides the rest.
    const words = "lorem ipsum dolor sit amet ".repeat(40);
    const segments = Array.from({ length: 1000 }, (_, i) => ({
      text: words,
      speaker: `SPEAKER_0${i % 2}`,
      speaker_id: i % 2,
      is_user: false,
      person_id: null,
      start: i * 5,
      end: i * 5 + 4.5,
    }));
    const name = `${user.uid}/${memoryId}/${job.jobId}.segments.json`;
    await bucket(config.postprocessingBucket)
      .file(name)
      .save(JSON.stringify(segments), { resumable: false, metadata: { metadata: { pipelineDerived: "segments" } } });
    const normalized = `${user.uid}/${memoryId}/${job.jobId}.16k.wav`;
    await bucket(config.postprocessingBucket)
      .file(normalized)
      .save(makeWav({ seconds: 12, channels: 1, sampleRate: 16_000 }), {
        resumable: false,
        metadata: { metadata: { pipelineDerived: "normalized" } },
      });
    await db()
      .doc(memoryPath(user.uid, memoryId))
      .update({
        "postprocessing.segments": { object: name, count: segments.length },
        "postprocessing.audio.normalized_object": normalized,
      });
    await deliver("identify", job);
    const pp = await waitFor(async () => {
      const p = (await readMemory(user.uid, memoryId))!.postprocessing;
      return p.status !== "in_progress" ? p : null;
    });
    expect(pp.status).toBe("failed");
    expect(pp.fail_reason).toMatch(
      /^transcript_too_large: The new transcript is \d+ KiB; a memory holds at most 800 KiB/,
    );
    const memory = (await readMemory(user.uid, memoryId))!;
    expect(memory.transcript_segments).toEqual(before);
    expect(memory.transcript_version ?? 0).toBe(0);
  });
});

describe("a memory deleted after its job completed", () => {
  it("stops only the optional stage still open: the job stays completed and no notification is sent", async () => {
    const user = await createUser();
    await db().doc(`users/${user.uid}`).update({ fcm_token: "device-1" });
    const memoryId = await createMemory(user.uid, {
      transcript_segments: [
        {
          text: "what a wonderful happy day",
          speaker: "SPEAKER_00",
          speaker_id: 0,
          is_user: true,
          person_id: null,
          start: 0,
          end: 4,
        },
      ],
    });
    const job = await seedJobAt(user.uid, memoryId, "emotion", {
      status: "completed",
      flags: { emotional_feedback: true },
    });
    await db().doc(memoryPath(user.uid, memoryId)).update({ deleted: true });
    await deliver("emotion", job);
    const pp = await waitFor(async () => {
      const p = (await readMemory(user.uid, memoryId))!.postprocessing;
      return p.stages.emotion.state !== "pending" ? p : null;
    });
    expect(pp.status).toBe("completed");
    expect(pp.fail_reason ?? null).toBeNull();
    expect(pp.stages.emotion).toMatchObject({
      state: "skipped",
      skip_reason: expect.stringMatching(/^memory_deleted/),
    });
    expect(pp.optional_open).toBe(false);
    expect((await db().doc(`users/${user.uid}/notifications/${job.jobId}`).get()).exists).toBe(false);
  });
});

describe("the sweep", () => {
  it("goes on past an object it cannot handle, and reports it", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const good = `${user.uid}/${memoryId}/job-gone.wav`;
    const bad = `${user.uid}/${memoryId}/job-bad.wav`;
    await bucket(config.postprocessingBucket)
      .file(good)
      .save(Buffer.from("x"), { metadata: { metadata: { uid: user.uid, memoryId, jobId: "job-gone" } } });
    // A memory id no document path can hold: reading its job throws.
    await bucket(config.postprocessingBucket)
      .file(bad)
      .save(Buffer.from("x"), { metadata: { metadata: { uid: user.uid, memoryId: "a//b", jobId: "j" } } });
    const result = await sweepExpiredAudio(config, new Date(Date.now() + config.retentionMs + 60_000));
    expect(result.errors).toBeGreaterThanOrEqual(1);
    expect(result.deleted).toContain(good);
    expect(await objectNames(config.postprocessingBucket, `${user.uid}/${memoryId}/`)).toEqual([bad]);
  });
});
