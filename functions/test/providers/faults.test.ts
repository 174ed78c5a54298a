/**
 * The fault suite, through the emulated functions with the real provider adapters against local stand-ins:
 * crashes at every step boundary repaired by the scheduled re-drive, duplicated and out-of-order deliveries, and
 * providers that fail. Throughout: one paid call per provider per job, and a failure never touches the transcript.
 */
import functionsTest from "firebase-functions-test";
import { describe, expect, it } from "vitest";
import { prepareAudio as prepareAudioTrigger } from "../../src/index.js";
import type { JobRef } from "../../src/model/job.js";
import { STAGE_NAMES, topicOf } from "../../src/pipeline/definition.js";
import { bucket, db } from "../../src/store/firebase.js";
import { memoryPath } from "../../src/store/paths.js";
import { publishJobMessage } from "../../src/store/publish.js";
import { config, readMemory, redriveStalled, runScheduled, waitFor } from "../support/emulators.js";
import { median, writeBenchFigure } from "../support/benchFigures.js";
import { logLines, skipsOf, waitForSkips } from "../support/logLines.js";
import { turnTextsFor } from "../support/fakeFal.js";
import { uploadJfk, useFalAndOpenAI } from "../support/falProviders.js";
import { apiError } from "../support/fakeOpenAI.js";

const { fal, openai } = useFalAndOpenAI();

const pp = async (job: JobRef) => (await readMemory(job.uid, job.memoryId))!.postprocessing;
const isOver = (p: { status: string }) => ["completed", "failed", "canceled"].includes(p.status);
const falRequestsOf = (job: JobRef) => fal.requests.filter((r) => r.webhookUrl?.includes(`jobId=${job.jobId}`));

describe("crashes at every step boundary", () => {
  it("the scheduled re-drive finishes every crashed job, paying each provider once", { timeout: 900_000 }, async () => {
    const armed: Record<string, number>[] = [
      { "prepare_audio:after_claim": 1, "reprocess:after_work": 1 },
      { "transcribe:after_claim": 1, "segment:after_done": 1 },
      { "transcribe:after_done": 1, "identify:after_publish": 1 },
      { "prepare_audio:after_done": 1, "reprocess:after_claim": 1 },
      { "segment:after_claim": 1, "transcribe:after_publish": 1 },
      { "identify:after_work": 1, "reprocess:after_done": 1 },
      { "identify:after_claim": 1, "prepare_audio:after_publish": 1, "reprocess:after_publish": 1 },
    ];
    const started = Date.now();
    const jobs = await Promise.all(armed.map((faults) => uploadJfk({ test_faults: faults })));
    const completedAt = new Map<string, number>();
    // No wall-clock bound on the outcome: the loop only gives up eventually, so a hung job fails the test.
    const deadline = started + 780_000;
    let redrives = 0;
    while (completedAt.size < jobs.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 3000));
      await runScheduled("recoverStalledJobs");
      redrives += 1;
      for (const job of jobs) {
        if (!completedAt.has(job.jobId) && isOver(await pp(job))) completedAt.set(job.jobId, Date.now());
      }
    }
    for (const [i, job] of jobs.entries()) {
      const memory = (await readMemory(job.uid, job.memoryId))!;
      const where = JSON.stringify({ armed: armed[i], stages: memory.postprocessing.stages });
      expect(memory.postprocessing.status, where).toBe("completed");
      // Every armed crash happened.
      expect(Object.values(memory.test_faults), where).toEqual(Object.values(armed[i]).map(() => 0));
      expect(falRequestsOf(job), where).toHaveLength(1);
      expect(memory.transcript_version, where).toBe(2);
    }
    expect(openai.chats()).toHaveLength(jobs.length);
    expect(openai.embeddings()).toHaveLength(jobs.length);
    // How long recovery takes is a figure (npm run bench: bench-results/redrive.json), never an assertion.
    await writeBenchFigure("redrive.json", {
      what:
        "jobs of the 11 s JFK clip, each with 2-3 crashes at stage boundaries, recovered by the scheduled re-drive " +
        "run every 3 s, each crash fast-forwarded by one lease (FAL and OpenAI stand-ins, one emulator suite)",
      jobs: jobs.length,
      crashes: armed.reduce((n, a) => n + Object.keys(a).length, 0),
      redriveRuns: redrives,
      medianRecoveredMs: median(jobs.map((j) => completedAt.get(j.jobId)! - started)),
      maxRecoveredMs: Math.max(...jobs.map((j) => completedAt.get(j.jobId)! - started)),
    });
  });
});

describe("duplicated and out-of-order deliveries", () => {
  it("five deliveries of every message and of the storage event do each stage once", { timeout: 400_000 }, async () => {
    const job = await uploadJfk();
    const shuffled = <T>(xs: T[]) =>
      xs
        .map((x) => [Math.random(), x] as const)
        .sort((a, b) => a[0] - b[0])
        .map(([, x]) => x);
    const topics = STAGE_NAMES.flatMap((s) => topicOf(s) ?? []);
    // Messages for every stage, arriving before their stages are even queued, in random order. (Five, not more: the
    // Firestore emulator answers a document contended by dozens of transactions at once with lock timeouts, which
    // production Firestore does not; the pipeline survives those too, but through the re-drive, minutes later.)
    const copies = 5;
    await Promise.all(
      shuffled(topics.flatMap((t) => Array.from({ length: copies }, () => t))).map((t) => publishJobMessage(t, job)),
    );
    // The storage event, redelivered as many times through the deployed trigger.
    const object = `${job.uid}/${job.memoryId}/${job.jobId}.wav`;
    const [meta] = await bucket(config.postprocessingBucket).file(object).getMetadata();
    const fft = functionsTest({ projectId: process.env.GCLOUD_PROJECT });
    const event = {
      data: {
        bucket: config.postprocessingBucket,
        name: object,
        generation: meta.generation,
        size: meta.size,
        metadata: meta.metadata,
      },
    };
    await Promise.all(Array.from({ length: copies }, () => fft.wrap(prepareAudioTrigger)(event as never)));
    fft.cleanup();
    // A delivery that lost to a lock timeout leaves its stage to the re-drive, as in production: run it as if a lease
    // had passed whenever the job stops moving.
    const done = await waitFor(
      async () => {
        const p = await pp(job);
        if (isOver(p)) return p;
        if (Date.now() - Date.parse(p.updated_at) > 20_000) await redriveStalled();
        return null;
      },
      { what: "the job to end", timeoutMs: 300_000 },
    );
    // And as many more of everything after it completed: each must end in its own "skipped" line before the checks.
    const skippedBefore = (await skipsOf(job.jobId)).length;
    const late = shuffled(topics.flatMap((t) => Array.from({ length: copies }, () => t)));
    await Promise.all(late.map((t) => publishJobMessage(t, job)));
    const lateSkips = await waitForSkips(job.jobId, skippedBefore, late.length);
    expect(lateSkips.map((l) => l.reason)).not.toContain("stage_leased");

    expect(done.status).toBe("completed");
    // Read after the late burst. Outcomes, not attempts: a stage is claimed again only if its lease ran out (a slow
    // machine), and even then each paid call happens once; the late burst claims nothing at all.
    const after = await pp(job);
    for (const stage of ["prepare_audio", "transcribe", "segment", "identify", "reprocess"]) {
      expect(after.stages[stage], stage).toMatchObject({ state: "done", attempts: done.stages[stage].attempts });
    }
    expect(falRequestsOf(job)).toHaveLength(1);
    expect(openai.chats()).toHaveLength(1);
    expect(openai.embeddings()).toHaveLength(1);
    const versions = await db()
      .collection(`${memoryPath(job.uid, job.memoryId)}/transcripts`)
      .get();
    expect(versions.size).toBe(2);
    expect(after.completed_at).toBe(done.completed_at);
  });
});

describe("providers that fail", () => {
  it("FAL answering garbage fails the job with a clear reason and the old transcript intact", async () => {
    fal.output = () => ({ garbage: true });
    try {
      const job = await uploadJfk();
      const before = (await readMemory(job.uid, job.memoryId))!.transcript_segments;
      const failed = await waitFor(
        async () => {
          const p = await pp(job);
          return isOver(p) ? p : null;
        },
        { what: "the job to end", timeoutMs: 150_000 },
      );
      expect(failed.status).toBe("failed");
      expect(failed.fail_reason).toMatch(/^fal_bad_output: FAL returned no word chunks/);
      expect((await readMemory(job.uid, job.memoryId))!.transcript_segments).toEqual(before);
    } finally {
      fal.reset();
    }
  });

  it(
    "FAL answering 429 at every submit backs off between attempts, then fails with the reason",
    { timeout: 300_000 },
    async () => {
      fal.submitFailures = Array.from({ length: 20 }, () => ({ status: 429, body: { detail: "Rate limit exceeded" } }));
      const job = await uploadJfk();
      const before = (await readMemory(job.uid, job.memoryId))!.transcript_segments;
      const retryAts: number[] = [];
      let p = await waitFor(
        async () => {
          const q = await pp(job);
          return q.stages.transcribe?.retry_at ? q : null;
        },
        { what: "the first backoff" },
      );
      while (!isOver(p)) {
        const retryAt = Date.parse(p.stages.transcribe.retry_at);
        retryAts.push(retryAt - Date.parse(p.updated_at));
        // Time travel to the end of the backoff: the re-drive resubmits.
        const { recoverStalledJobs } = await import("../../src/scheduled/recoverStalledJobs.js");
        const { createFalTranscriber } = await import("../../src/providers/transcriber/create.js");
        await recoverStalledJobs({
          config,
          now: new Date(retryAt + 1000),
          transcriber: () => createFalTranscriber(config, "k"),
        });
        p = await waitFor(
          async () => {
            const q = await pp(job);
            return isOver(q) || (q.stages.transcribe?.retry_at && Date.parse(q.stages.transcribe.retry_at) !== retryAt)
              ? q
              : null;
          },
          { what: "the next attempt" },
        );
      }
      expect(p.status).toBe("failed");
      expect(p.fail_reason).toMatch(/transcribe failed after 5 attempts: fal_unavailable: FAL submit returned 429/);
      // Backoff doubles: 1, 2, 4, 8, 16 minutes.
      expect(retryAts.map((ms) => Math.round(ms / 60_000))).toEqual([1, 2, 4, 8, 16]);
      expect((await readMemory(job.uid, job.memoryId))!.transcript_segments).toEqual(before);
    },
  );

  it(
    "OpenAI failing on every attempt (500s, then timeouts) still completes the job, with warnings",
    { timeout: 480_000 },
    async () => {
      openai.chatReplies = Array.from({ length: 40 }, () => apiError(500, "The server had an error"));
      openai.embeddingFailures = Array.from({ length: 40 }, () => ({
        status: 503,
        error: { message: "Overloaded", type: "server_error" },
      }));
      const job = await uploadJfk();
      const deadline = Date.now() + 420_000;
      let p = await pp(job);
      while (!isOver(p) && Date.now() < deadline) {
        // Once an attempt has given the stage back (the emulator does not redeliver), re-drive as if a lease passed.
        const stage = p.stages.reprocess;
        if (stage?.state === "pending" && stage.attempts > 0) {
          await redriveStalled();
          await waitFor(
            async () => {
              const next = (await pp(job)).stages.reprocess;
              return next.attempts > stage.attempts || next.state !== "pending";
            },
            { what: "the next attempt" },
          );
        }
        await new Promise((r) => setTimeout(r, 1000));
        p = await pp(job);
      }
      expect(p.status).toBe("completed");
      expect(p.stages.reprocess.attempts).toBe(config.stageMaxAttempts);
      expect(p.warnings).toEqual([
        expect.stringMatching(/extraction failed.*openai_unavailable: OpenAI chat returned 500/),
        expect.stringMatching(/embedding failed.*openai_unavailable: OpenAI embeddings returned 503/),
      ]);
      const memory = (await readMemory(job.uid, job.memoryId))!;
      const heard = falRequestsOf(job)[0].audio!;
      expect(memory.transcript_segments.map((s: { text: string }) => s.text)).toEqual(turnTextsFor(heard));
      expect(memory.structured.title).toBe("Streaming memory");
    },
  );
});

/** Every paid call of a job: its ledger entries and its `provider_call` log lines, which must be the same calls. */
async function paidCalls(job: JobRef) {
  const ledger: Record<string, unknown>[] = Object.values((await pp(job)).usage?.calls ?? {});
  const logged = await logLines((l) => l.event === "provider_call" && l.jobId === job.jobId);
  const key = (c: Record<string, unknown>) => `${String(c.provider)}:${String(c.kind)}`;
  return { ledger: ledger.map(key).sort(), logged: logged.map(key).sort() };
}

/** Waits for the job to end, re-driving its reprocess stage each time an attempt gave it back. */
async function endedWithRedrives(job: JobRef) {
  return waitFor(
    async () => {
      const p = await pp(job);
      if (isOver(p)) return p;
      if (p.stages.reprocess?.state === "pending" && p.stages.reprocess.attempts > 0) await redriveStalled();
      return null;
    },
    { what: "the job to end", timeoutMs: 200_000 },
  );
}

describe("paid once, recorded once", () => {
  it("an embedding that fails after the chat was paid does not pay for the chat again", async () => {
    // Three 503s: the SDK's own two retries fail too, so the stage's attempt fails and is retried.
    openai.embeddingFailures = Array.from({ length: 3 }, () => ({
      status: 503,
      error: { message: "Overloaded", type: "server_error" },
    }));
    const job = await uploadJfk();
    const done = await endedWithRedrives(job);
    expect(done.status).toBe("completed");
    expect(done.stages.reprocess.attempts).toBe(2);
    expect(openai.chats()).toHaveLength(1);
    expect(openai.billed().filter((r) => r.path === "/v1/embeddings")).toHaveLength(1);
    const calls = await paidCalls(job);
    expect(calls.ledger).toEqual(["fal:transcription", "openai:chat", "openai:embedding"]);
    expect(calls.logged).toEqual(calls.ledger);
  });

  it("records an answer cut at the length limit (billed), then the retried one", async () => {
    openai.chatReplies = [{ truncated: '{"title": "Planning the mob' }];
    const job = await uploadJfk();
    const done = await endedWithRedrives(job);
    expect(done.status).toBe("completed");
    expect(done.warnings).toEqual([]);
    expect(openai.chats()).toHaveLength(2);
    const chats = Object.values(done.usage.calls as Record<string, { kind: string; output_tokens: number }>).filter(
      (c) => c.kind === "chat",
    );
    expect(chats).toHaveLength(2);
    expect(chats.every((c) => c.output_tokens > 0)).toBe(true);
    const calls = await paidCalls(job);
    expect(calls.logged).toEqual(calls.ledger);
  });

  it("a FAL submit whose answer was lost is not sent again: its webhook is adopted", async () => {
    fal.submitDrops = 1;
    const job = await uploadJfk();
    const done = await waitFor(
      async () => {
        const p = await pp(job);
        return isOver(p) ? p : null;
      },
      { what: "the job to end", timeoutMs: 200_000 },
    );
    expect(done.status).toBe("completed");
    expect(falRequestsOf(job)).toHaveLength(1);
    expect(done.stages.transcribe.provider_request_id).toBe(falRequestsOf(job)[0].id);
    expect((await paidCalls(job)).ledger.filter((c) => c.startsWith("fal:"))).toHaveLength(1);
  });

  it("the crashed jobs above were each logged and recorded once per paid call", async () => {
    // Checked on every job this file ran: reused checkpoints and lost leases log nothing twice.
    const lines = await logLines((l) => l.event === "provider_call");
    const byJob = new Map<string, number>();
    for (const l of lines) byJob.set(String(l.jobId), (byJob.get(String(l.jobId)) ?? 0) + 1);
    expect(byJob.size).toBeGreaterThan(3);
    for (const [jobId, count] of byJob) {
      const [memory] = (await db().collectionGroup("memories").where("postprocessing.job_id", "==", jobId).get()).docs;
      if (!memory) continue;
      const ledger = Object.keys(memory.get("postprocessing.usage.calls") ?? {});
      expect(count, jobId).toBe(ledger.length);
    }
  });
});
