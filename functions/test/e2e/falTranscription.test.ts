/**
 * The FAL path: the real @fal-ai/client submits to a local fake of FAL's queue API; the fake calls our emulated
 * `falWebhook` function with FAL's payload and signature. The stage itself runs in this process (the emulated
 * functions have no FAL key, so their own transcribe trigger uses the offline transcriber).
 */
import { topicOf } from "../../src/pipeline/definition.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import { bucket, db } from "../../src/store/firebase.js";
import { DERIVED_OBJECT_TAG } from "../../src/config.js";
import { createFalTranscriber, transcriberFactory } from "../../src/providers/transcriber/create.js";
import { transcribe } from "../../src/stages/transcribe.js";
import { recoverStalledJobs } from "../../src/scheduled/recoverStalledJobs.js";
import { buildPostprocessing, newJobId } from "../../src/store/jobs.js";
import { normalizedObjectName } from "../../src/store/objectNames.js";
import { loadJobJson } from "../../src/store/objects.js";
import { memoryPath } from "../../src/store/paths.js";
import type { Transcript } from "../../src/model/transcript.js";
import { makeWav } from "../support/audio.js";
import {
  collectMessages,
  config as baseConfig,
  createMemory,
  createUser,
  FUNCTIONS_BASE,
  readMemory,
  uniqueId,
  waitFor,
} from "../support/emulators.js";
import { FakeFal, whisperOutputFor } from "../support/fakeFal.js";

const FAL_KEY = "fake-key-id:fake-secret";
const config = { ...baseConfig, transcriber: "fal" as const, falWebhookUrl: `${FUNCTIONS_BASE}/falWebhook` };
const falTranscriber = () => createFalTranscriber(config, FAL_KEY);
const fal = new FakeFal();
const script = [
  { speaker: "SPEAKER_00", start: 0.5, words: ["so", "what", "did", "you", "think", "of", "the", "talk"] },
  { speaker: "SPEAKER_01", start: 4.2, words: ["honestly", "it", "was", "better", "than", "I", "expected"] },
];
let segmentMessages: Awaited<ReturnType<typeof collectMessages>>;
beforeAll(async () => {
  await fal.start();
  fal.output = () => whisperOutputFor(script);
  segmentMessages = await collectMessages(topicOf("segment")!);
});
afterAll(async () => {
  await fal.stop();
  await segmentMessages?.close();
});
beforeEach(() => fal.reset());

/** A job as prepareAudio leaves it: normalized audio in the bucket, transcribe pending (no message published). */
async function jobAwaitingTranscription() {
  const user = await createUser();
  const memoryId = await createMemory(user.uid);
  const jobId = newJobId();
  const job = { uid: user.uid, memoryId, jobId };
  const normalized = normalizedObjectName(job);
  await bucket(config.postprocessingBucket)
    .file(normalized)
    .save(makeWav({ seconds: 11, channels: 1, sampleRate: 16_000 }), {
      resumable: false,
      metadata: { contentType: "audio/wav", metadata: { [DERIVED_OBJECT_TAG]: "normalized", ...job } },
    });
  const pp = buildPostprocessing(
    {
      ...job,
      emotionalFeedback: false,
      now: new Date(),
      staleAfterMs: 0,
      phase: "uploading",
      audio: {
        postprocessing_object: `${normalized}.src`,
        recording_object: null,
        format: "wav",
        content_type: "audio/wav",
        size_bytes: 1,
        uploaded_via: "multipart",
      },
    },
    false,
  );
  pp.phase = "awaiting_transcription";
  pp.audio = { ...pp.audio, normalized_object: normalized, duration_s: 11 };
  pp.stages = {
    prepare_audio: {
      state: "done",
      attempts: 1,
      lease_expires_at: null,
      last_error: null,
      idempotency_key: "x",
      next_published: true,
    },
    transcribe: { state: "pending", attempts: 0, lease_expires_at: null, last_error: null, idempotency_key: null },
  };
  await db().doc(memoryPath(user.uid, memoryId)).update({ postprocessing: pp });
  return job;
}

const deps = (eventId = uniqueId("evt")) => ({
  config,
  now: () => new Date(),
  eventId,
  eventTime: new Date(),
  maxEventAgeMs: 3_600_000,
  transcriber: transcriberFactory(config, FAL_KEY),
});
const pp = async (job: { uid: string; memoryId: string }) => (await readMemory(job.uid, job.memoryId))!.postprocessing;
const waitForTranscribe = (job: { uid: string; memoryId: string }, state: string) =>
  waitFor(async () => ((await pp(job)).stages.transcribe.state === state ? pp(job) : null), {
    what: `transcribe ${state}`,
  });

describe("FAL transcription", () => {
  it("submits once with a webhook, stores the request id, and completes from the signed webhook", async () => {
    const job = await jobAwaitingTranscription();
    await transcribe(job, deps());

    expect(fal.requests).toHaveLength(1);
    const [request] = fal.requests;
    expect(request.endpoint).toBe("fal-ai/whisper");
    expect(request.authorization).toBe(`Key ${FAL_KEY}`);
    expect(request.input).toMatchObject({ task: "transcribe", diarize: true, chunk_level: "word", language: "en" });
    expect(String(request.input.audio_url)).toContain(
      encodeURIComponent(`${job.uid}/${job.memoryId}/${job.jobId}.16k.wav`),
    );
    expect(request.webhookUrl).toMatch(/\/falWebhook\?uid=.*&token=[0-9a-f]{48}$/);

    const done = await waitForTranscribe(job, "done");
    expect(done.stages.transcribe).toMatchObject({ provider: "fal", provider_request_id: request.id });
    expect(done.stages.segment).toBeDefined(); // handed on to segmentation
    expect(done.transcript).toMatchObject({
      word_count: 15,
      speaker_count: 2,
      language: "en",
      model: "fal-ai/whisper",
    });
    const words = await loadJobJson<Transcript>(config.postprocessingBucket, done.transcript.words_object);
    expect(words.words[0]).toEqual({ text: "so", start: 0.5, end: 0.85, speaker: "SPEAKER_00" });
    expect(words.words.at(-1)).toMatchObject({ text: "expected", speaker: "SPEAKER_01" });
    await expect.poll(() => segmentMessages.forJob(job.jobId).length, { timeout: 10_000 }).toBe(1);
    await waitFor(async () => request.webhookResponses.length > 0, { what: "the webhook's answer" });
    expect(request.webhookResponses).toEqual([{ status: 200, body: { ok: true, outcome: "completed" } }]);
  });

  it("answers a duplicated webhook idempotently", async () => {
    fal.webhookMode = "send-twice";
    const job = await jobAwaitingTranscription();
    await transcribe(job, deps());
    await waitForTranscribe(job, "done");
    await waitFor(async () => fal.requests[0].webhookResponses.length === 2, { what: "second webhook" });
    expect(fal.requests[0].webhookResponses.map((r) => r.body)).toEqual([
      { ok: true, outcome: "completed" },
      { ok: true, outcome: "duplicate" },
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(segmentMessages.forJob(job.jobId)).toHaveLength(1);
  });

  it("fetches the result from FAL when the webhook carries no payload", async () => {
    fal.webhookMode = "send-without-payload";
    const job = await jobAwaitingTranscription();
    await transcribe(job, deps());
    const done = await waitForTranscribe(job, "done");
    expect(done.transcript.word_count).toBe(15);
  });

  it("refuses unsigned, forged and wrong-token webhooks without changing anything", async () => {
    fal.webhookMode = "none";
    const job = await jobAwaitingTranscription();
    await transcribe(job, deps());
    const request = fal.requests[0];
    const before = await pp(job);
    expect(before.stages.transcribe.state).toBe("waiting");
    const body = JSON.stringify({
      request_id: request.id,
      gateway_request_id: request.id,
      status: "OK",
      payload: whisperOutputFor(script),
      error: null,
    });

    const unsigned = await fetch(request.webhookUrl!, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(unsigned.status).toBe(401);
    const forger = generateKeyPairSync("ed25519").privateKey;
    const forged = await fetch(request.webhookUrl!, {
      method: "POST",
      headers: fal.signatureHeaders(request.id, body, forger),
      body,
    });
    expect(forged.status).toBe(401);
    const tampered = await fetch(request.webhookUrl!, {
      method: "POST",
      headers: fal.signatureHeaders(request.id, body),
      body: body.replace("honestly", "secretly"),
    });
    expect(tampered.status).toBe(401);
    const stale = await fetch(request.webhookUrl!, {
      method: "POST",
      headers: fal.signatureHeaders(request.id, body, undefined, Math.floor(Date.now() / 1000) - 3600),
      body,
    });
    expect(stale.status).toBe(401);
    const wrongToken = request.webhookUrl!.replace(/token=[0-9a-f]+/, `token=${"0".repeat(48)}`);
    expect(
      (await fetch(wrongToken, { method: "POST", headers: fal.signatureHeaders(request.id, body), body })).status,
    ).toBe(403);
    const stranger = "some-other-request";
    const strangerBody = body.replaceAll(request.id, stranger);
    const fromStranger = await fetch(request.webhookUrl!, {
      method: "POST",
      headers: fal.signatureHeaders(stranger, strangerBody),
      body: strangerBody,
    });
    expect(fromStranger.status).toBe(200);
    expect((await fromStranger.json()).outcome).toBe("unknown_request");

    expect(await pp(job)).toEqual(before);
  });

  it("retries after a FAL 500 on submit, then succeeds with a single recorded request", async () => {
    fal.submitFailures = [{ status: 500, body: { detail: "Internal Server Error" } }];
    const job = await jobAwaitingTranscription();
    await expect(transcribe(job, deps())).rejects.toThrow(/FAL submit returned 500/);
    const afterFailure = await pp(job);
    expect(afterFailure.stages.transcribe).toMatchObject({ state: "pending", attempts: 1 });
    expect(afterFailure.stages.transcribe.last_error).toMatch(/500/);
    expect(afterFailure.status).toBe("in_progress");

    await transcribe(job, deps()); // the redelivery
    const done = await waitForTranscribe(job, "done");
    expect(fal.requests).toHaveLength(1);
    expect(done.stages.transcribe).toMatchObject({ attempts: 2, provider_request_id: fal.requests[0].id });
  });

  it("fails the job with FAL's reason on a 422, without retrying", async () => {
    fal.submitFailures = [
      {
        status: 422,
        body: { detail: [{ loc: ["body", "audio_url"], msg: "File could not be downloaded", type: "value_error" }] },
      },
    ];
    const job = await jobAwaitingTranscription();
    const segmentsBefore = (await readMemory(job.uid, job.memoryId))!.transcript_segments;
    await transcribe(job, deps());
    const failed = await pp(job);
    expect(failed.status).toBe("failed");
    expect(failed.fail_reason).toMatch(/^fal_rejected: FAL submit returned 422: .*File could not be downloaded/);
    expect(failed.stages.transcribe.state).toBe("failed");
    expect((await readMemory(job.uid, job.memoryId))!.transcript_segments).toEqual(segmentsBefore);
    await transcribe(job, deps()); // a redelivery does nothing
    expect(fal.requests).toHaveLength(0);
  });

  it("fails the job when FAL reports a 422 in the webhook", async () => {
    fal.webhookMode = { error: "Invalid status code: 422", detail: { detail: [{ msg: "Unsupported audio" }] } };
    const job = await jobAwaitingTranscription();
    await transcribe(job, deps());
    const failed = await waitFor(async () => ((await pp(job)).status === "failed" ? pp(job) : null));
    expect(failed.fail_reason).toMatch(/^fal_rejected: Invalid status code: 422 .*Unsupported audio/);
  });

  it("reschedules after a FAL 500 in the webhook; the re-drive resubmits through the emulated trigger", async () => {
    fal.webhookMode = { error: "Invalid status code: 500", detail: { detail: "GPU worker crashed" } };
    const job = await jobAwaitingTranscription();
    await transcribe(job, deps());
    const pending = await waitFor(
      async () => ((await pp(job)).stages.transcribe.state === "pending" ? pp(job) : null),
      { what: "retry scheduled" },
    );
    expect(fal.requests[0].webhookResponses[0]).toEqual({
      status: 200,
      body: { ok: true, outcome: "retry_scheduled" },
    });
    expect(pending.stages.transcribe).toMatchObject({ provider: "fal", provider_request_id: null });
    expect(pending.stages.transcribe.last_error).toMatch(/500.*GPU worker crashed/);
    const retryAt = Date.parse(pending.stages.transcribe.retry_at);
    expect(retryAt).toBeGreaterThan(Date.now());

    fal.webhookMode = "send";
    const early = await recoverStalledJobs({ config, transcriber: falTranscriber, now: new Date() });
    expect(early.redriven.filter((r) => r.memoryId === job.memoryId)).toEqual([]); // still backing off
    const report = await recoverStalledJobs({ config, transcriber: falTranscriber, now: new Date(retryAt + 1000) });
    expect(report.redriven.filter((r) => r.memoryId === job.memoryId)).toEqual([
      { memoryId: job.memoryId, stage: "transcribe" },
    ]);
    const done = await waitForTranscribe(job, "done");
    expect(fal.requests).toHaveLength(2);
    expect(done.stages.transcribe).toMatchObject({ attempts: 2, provider_request_id: fal.requests[1].id });
  });

  it("recovers a job whose webhook never comes by polling FAL", async () => {
    fal.webhookMode = "none";
    const job = await jobAwaitingTranscription();
    await transcribe(job, deps());
    const request = fal.requests[0];
    await waitFor(async () => request.status === "COMPLETED");

    const early = await recoverStalledJobs({ config, transcriber: falTranscriber, now: new Date() });
    expect(early.polled.filter((p) => p.memoryId === job.memoryId)).toEqual([]); // within the grace period
    const later = new Date(Date.now() + config.falWebhookGraceMs + 60_000);
    const report = await recoverStalledJobs({ config, transcriber: falTranscriber, now: later });
    expect(report.polled.filter((p) => p.memoryId === job.memoryId)).toEqual([
      { memoryId: job.memoryId, status: "COMPLETED", applied: "completed" },
    ]);
    const done = await pp(job);
    expect(done.stages.transcribe.state).toBe("done");
    expect(done.transcript.word_count).toBe(15);
    await expect.poll(() => segmentMessages.forJob(job.jobId).length, { timeout: 10_000 }).toBe(1);
  });
});
