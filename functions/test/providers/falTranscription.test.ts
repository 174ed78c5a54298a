/**
 * The FAL path end to end through the emulated functions: an upload goes through `prepareAudio`, the `transcribe`
 * trigger submits with the real @fal-ai/client to a local stand-in of FAL's queue, which calls the emulated
 * `falWebhook` with FAL's payload and Ed25519 signature; the job then runs to completion (OpenAI stand-in too).
 */
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { createFalTranscriber } from "../../src/providers/transcriber/create.js";
import { recoverStalledJobs } from "../../src/scheduled/recoverStalledJobs.js";
import { loadJobJson } from "../../src/store/objects.js";
import type { Transcript } from "../../src/model/transcript.js";
import { config, readMemory, waitFor } from "../support/emulators.js";
import { skipsOf, waitForSkips } from "../support/logLines.js";
import { v4Parts, verifyV4SignedUrl } from "../support/signedUrl.js";
import { scriptForAudio, turnTextsFor, whisperOutputFor } from "../support/fakeFal.js";
import { bucket } from "../../src/store/firebase.js";
import { FAL_SCRIPT, uploadJfk, useFalAndOpenAI } from "../support/falProviders.js";

const FAL_KEY = "placeholder-not-a-real-key"; // functions/.secret.local
const falTranscriber = () => createFalTranscriber(config, FAL_KEY);
const { fal, openai } = useFalAndOpenAI();
/** Uploads the JFK clip for a new memory (with crash points armed, if any); returns the job. */
const upload = (testFaults?: Record<string, number>) => uploadJfk(testFaults ? { test_faults: testFaults } : {});

const pp = async (job: { uid: string; memoryId: string }) => (await readMemory(job.uid, job.memoryId))!.postprocessing;
const until = (job: { uid: string; memoryId: string }, what: string, test: (p: any) => boolean, timeoutMs = 150_000) =>
  waitFor(
    async () => {
      const p = await pp(job);
      return p && test(p) ? p : null;
    },
    { what, timeoutMs },
  );
const ended = (job: { uid: string; memoryId: string }) =>
  until(job, "the job to end", (p) => ["completed", "failed", "canceled"].includes(p.status));

/**
 * The answers the webhook gave FAL, once there is one: the job's state is written before the function's HTTP answer
 * reaches the stand-in, so on a loaded machine a test can see the state first.
 */
async function webhookAnswers(request: { webhookResponses: { status: number; body: unknown }[] }) {
  await waitFor(async () => request.webhookResponses.length > 0, { what: "the webhook's answer to FAL" });
  return request.webhookResponses;
}

describe("FAL transcription through the emulated triggers", () => {
  it("submits once with a webhook, completes from the signed webhook, and records the paid call", async () => {
    const job = await upload();
    const done = await ended(job);
    expect(done.status).toBe("completed");
    expect(fal.requests).toHaveLength(1);
    const [request] = fal.requests;
    expect(request.endpoint).toBe("fal-ai/whisper");
    expect(request.authorization).toBe(`Key ${FAL_KEY}`);
    expect(request.input).toMatchObject({ task: "transcribe", diarize: true, chunk_level: "word", language: "en" });
    // A V4 signed URL, signed with this project's service-account key, valid for as long as FAL may queue the request.
    const audioUrl = String(request.input.audio_url);
    expect(new URL(audioUrl).pathname).toBe(
      `/${config.postprocessingBucket}/${job.uid}/${job.memoryId}/${job.jobId}.16k.wav`,
    );
    expect(v4Parts(audioUrl)).toMatchObject({
      algorithm: "GOOG4-RSA-SHA256",
      expiresSeconds: config.falMaxWaitMs / 1000,
    });
    const serviceAccount = JSON.parse(
      await readFile(new URL("../../../.emulators/test-service-account.json", import.meta.url), "utf8"),
    ) as { private_key: string };
    expect(verifyV4SignedUrl(audioUrl, createPublicKey(serviceAccount.private_key))).toBe(true);
    expect(request.webhookUrl).toMatch(/\/falWebhook\?uid=.*&token=[0-9a-f]{48}$/);
    expect(await webhookAnswers(request)).toEqual([{ status: 200, body: { ok: true, outcome: "completed" } }]);

    expect(done.stages.transcribe).toMatchObject({ provider: "fal", provider_request_id: request.id, attempts: 1 });
    expect(done.transcript).toMatchObject({
      word_count: 15,
      speaker_count: 2,
      language: "en",
      model: "fal-ai/whisper",
    });
    // FAL downloaded the job's own normalized audio (the URL we gave it), and the words are what it heard in it.
    const [normalized] = await bucket(config.postprocessingBucket).file(done.audio.normalized_object).download();
    expect(request.audio!.equals(normalized)).toBe(true);
    const script = scriptForAudio(normalized);
    const words = await loadJobJson<Transcript>(config.postprocessingBucket, done.transcript.words_object);
    expect(words.words[0]).toEqual({ text: script[0].words[0], start: 0.5, end: 0.85, speaker: "SPEAKER_00" });
    const memory = (await readMemory(job.uid, job.memoryId))!;
    expect(memory.transcript_segments.map((s: { text: string }) => s.text)).toEqual(turnTextsFor(normalized));
    const falCall = Object.values(done.usage.calls).find((c: any) => c.provider === "fal") as any;
    expect(falCall).toMatchObject({ kind: "transcription", request_id: request.id, stage: "transcribe" });
    expect(falCall.audio_seconds).toBeCloseTo(11, 0);
    expect(falCall.estimated_cost_usd).toBeCloseTo(falCall.audio_seconds * config.prices.fal_audio_second, 8);
    expect(done.usage.stages.transcribe.queue_ms).toBeGreaterThanOrEqual(0);
  });

  it("answers a duplicated webhook idempotently", async () => {
    fal.webhookMode = "send-twice";
    const job = await upload();
    expect((await ended(job)).status).toBe("completed");
    await waitFor(async () => fal.requests[0].webhookResponses.length === 2, { what: "second webhook" });
    expect(fal.requests[0].webhookResponses.map((r) => r.body)).toEqual([
      { ok: true, outcome: "completed" },
      { ok: true, outcome: "duplicate" },
    ]);
    expect(openai.chats()).toHaveLength(1);
  });

  it.each(["send-without-payload", "send-unserializable"] as const)(
    "fetches the result from FAL when the webhook carries no payload (%s)",
    async (mode) => {
      // "send-unserializable": FAL's documented `payload: null` with `payload_error` when the output is not JSON.
      fal.webhookMode = mode;
      const job = await upload();
      const done = await ended(job);
      expect(done.status).toBe("completed");
      expect(done.transcript.word_count).toBe(15);
      expect((await webhookAnswers(fal.requests[0]))[0]).toEqual({
        status: 200,
        body: { ok: true, outcome: "completed" },
      });
    },
  );

  it("refuses unsigned, forged, tampered, stale, wrong-token and foreign webhooks; nothing changes", async () => {
    fal.webhookMode = "none";
    const job = await upload();
    // Waiting on FAL, and the submitting delivery's last write (its wall time in the ledger) done.
    const before = await until(
      job,
      "waiting on FAL",
      (p) => p.stages.transcribe?.state === "waiting" && p.usage?.stages?.transcribe?.wall_ms !== undefined,
    );
    const request = fal.requests[0];
    const body = JSON.stringify({
      request_id: request.id,
      gateway_request_id: request.id,
      status: "OK",
      payload: whisperOutputFor(FAL_SCRIPT),
      error: null,
    });
    const post = (headers: Record<string, string>, raw = body, url = request.webhookUrl!) =>
      fetch(url, { method: "POST", headers, body: raw }).then((r) => r.status);
    expect(await post({ "content-type": "application/json" })).toBe(401);
    expect(await post(fal.signatureHeaders(request.id, body, generateKeyPairSync("ed25519").privateKey))).toBe(401);
    expect(await post(fal.signatureHeaders(request.id, body), body.replace("honestly", "secretly"))).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 3600;
    expect(await post(fal.signatureHeaders(request.id, body, undefined, stale))).toBe(401);
    const wrongToken = request.webhookUrl!.replace(/token=[0-9a-f]+/, `token=${"0".repeat(48)}`);
    expect(await post(fal.signatureHeaders(request.id, body), body, wrongToken)).toBe(403);
    const stranger = "some-other-request";
    const strangerBody = body.replaceAll(request.id, stranger);
    const res = await fetch(request.webhookUrl!, {
      method: "POST",
      headers: fal.signatureHeaders(stranger, strangerBody),
      body: strangerBody,
    });
    expect([res.status, (await res.json()).outcome]).toEqual([200, "unknown_request"]);
    // Signed by FAL, but for another FAL account (FAL_USER_ID is "fake-user" in this project).
    const foreignHeaders = fal.signatureHeaders(request.id, body, undefined, undefined, "someone-else");
    expect(await post(foreignHeaders)).toBe(401);
    expect(await pp(job)).toEqual(before);
  });

  it("fails the job with FAL's reason on a 422 at submit, keeping the transcript, without retrying", async () => {
    fal.submitFailures = [
      {
        status: 422,
        body: { detail: [{ loc: ["body", "audio_url"], msg: "File could not be downloaded", type: "value_error" }] },
      },
    ];
    const job = await upload();
    const segmentsBefore = (await readMemory(job.uid, job.memoryId))!.transcript_segments;
    const failed = await ended(job);
    expect(failed.status).toBe("failed");
    expect(failed.fail_reason).toMatch(/^fal_rejected: FAL submit returned 422: .*File could not be downloaded/);
    expect(failed.stages.transcribe.state).toBe("failed");
    expect((await readMemory(job.uid, job.memoryId))!.transcript_segments).toEqual(segmentsBefore);
    expect(fal.requests).toHaveLength(0);
  });

  it("backs off after a FAL 500 at submit and submits once more when the re-drive finds it due", async () => {
    fal.submitFailures = [{ status: 500, body: { detail: "Internal Server Error" } }];
    const job = await upload();
    const backingOff = await until(job, "backoff", (p) => !!p.stages.transcribe?.retry_at);
    expect(backingOff.stages.transcribe).toMatchObject({ state: "pending" });
    expect(backingOff.stages.transcribe.last_error).toMatch(/fal_unavailable: FAL submit returned 500/);
    const retryAt = Date.parse(backingOff.stages.transcribe.retry_at);
    // A real backoff (a minute after the failure was recorded), not an immediate redelivery.
    expect(retryAt - Date.parse(backingOff.updated_at)).toBeGreaterThan(30_000);
    const report = await recoverStalledJobs({ config, transcriber: falTranscriber, now: new Date(retryAt + 1000) });
    expect(report.redriven).toContainEqual({ memoryId: job.memoryId, stage: "transcribe" });
    const done = await ended(job);
    expect(done.status).toBe("completed");
    expect(fal.requests).toHaveLength(1);
    expect(done.stages.transcribe).toMatchObject({ attempts: 2, provider_request_id: fal.requests[0].id });
  });

  it("fails the job when FAL reports a 422 in the webhook", async () => {
    fal.webhookMode = { error: "Invalid status code: 422", detail: { detail: [{ msg: "Unsupported audio" }] } };
    const job = await upload();
    const failed = await ended(job);
    expect(failed.fail_reason).toMatch(/^fal_rejected: Invalid status code: 422 .*Unsupported audio/);
  });

  it("reschedules after a FAL 500 in the webhook; the re-drive resubmits", async () => {
    fal.webhookMode = { error: "Invalid status code: 500", detail: { detail: "GPU worker crashed" } };
    const job = await upload();
    // The backoff is set, and prepare_audio's delivery has recorded its hand-off (else the time-shifted re-drive
    // below would rightly take that hand-off for lost and re-send it too).
    const pending = await until(
      job,
      "retry scheduled",
      (p) => !!p.stages.transcribe?.retry_at && p.stages.prepare_audio?.next_published === true,
    );
    expect((await webhookAnswers(fal.requests[0]))[0]).toEqual({
      status: 200,
      body: { ok: true, outcome: "retry_scheduled" },
    });
    expect(pending.stages.transcribe).toMatchObject({ provider: "fal", provider_request_id: null, state: "pending" });
    expect(pending.stages.transcribe.last_error).toMatch(/500.*GPU worker crashed/);
    const retryAt = Date.parse(pending.stages.transcribe.retry_at);
    fal.webhookMode = "send";
    const early = await recoverStalledJobs({ config, transcriber: falTranscriber, now: new Date() });
    expect(early.redriven.filter((r) => r.memoryId === job.memoryId)).toEqual([]); // still backing off
    const report = await recoverStalledJobs({ config, transcriber: falTranscriber, now: new Date(retryAt + 1000) });
    expect(report.redriven.filter((r) => r.memoryId === job.memoryId)).toEqual([
      { memoryId: job.memoryId, stage: "transcribe" },
    ]);
    const done = await ended(job);
    expect(done.status).toBe("completed");
    expect(fal.requests).toHaveLength(2);
    expect(done.stages.transcribe).toMatchObject({ attempts: 2, provider_request_id: fal.requests[1].id });
  });

  it("fails the job once FAL has kept it waiting FAL_MAX_WAIT_MINUTES, the transcript untouched", async () => {
    fal.webhookMode = "none";
    const job = await upload();
    const waiting = await until(job, "waiting on FAL", (p) => p.stages.transcribe?.state === "waiting");
    const before = (await readMemory(job.uid, job.memoryId))!.transcript_segments;
    // FAL never answers, and its status still says queued when the re-drive looks, long after the limit.
    fal.requests[0].status = "IN_QUEUE";
    const late = new Date(Date.parse(waiting.stages.transcribe.submitted_at) + config.falMaxWaitMs + 60_000);
    const report = await recoverStalledJobs({ config, transcriber: falTranscriber, now: late });
    expect(report.failed).toContain(job.memoryId);
    const failed = await pp(job);
    expect(failed.status).toBe("failed");
    expect(failed.fail_reason).toBe(
      `fal_timeout: no result for request ${fal.requests[0].id} after ${config.falMaxWaitMs / 60_000} minutes`,
    );
    expect((await readMemory(job.uid, job.memoryId))!.transcript_segments).toEqual(before);
  });

  it("recovers a job whose webhook never comes by polling FAL", async () => {
    fal.webhookMode = "none";
    const job = await upload();
    await until(job, "waiting on FAL", (p) => p.stages.transcribe?.state === "waiting");
    const request = fal.requests[0];
    await waitFor(async () => request.status === "COMPLETED");
    const early = await recoverStalledJobs({ config, transcriber: falTranscriber, now: new Date() });
    expect(early.polled.filter((p) => p.memoryId === job.memoryId)).toEqual([]); // within the grace period
    const later = new Date(Date.now() + config.falWebhookGraceMs + 60_000);
    const report = await recoverStalledJobs({ config, transcriber: falTranscriber, now: later });
    expect(report.polled.filter((p) => p.memoryId === job.memoryId)).toEqual([
      { memoryId: job.memoryId, status: "COMPLETED", applied: "completed" },
    ]);
    expect((await ended(job)).status).toBe("completed");
  });

  it("adopts the webhook of a submit whose request id was never stored, and pays FAL once", async () => {
    fal.webhookMode = "none";
    // The job's transcribe delivery dies right after FAL accepted the submit, before the request id is stored.
    const job = await upload({ "transcribe:after_submit": 1 });
    await until(job, "the submit", () => fal.requests.length === 1);
    await waitFor(async () => (await readMemory(job.uid, job.memoryId))!.test_faults["transcribe:after_submit"] === 0);
    const orphan = await pp(job);
    expect(orphan.stages.transcribe.state).toBe("processing");
    expect(orphan.stages.transcribe.provider_request_id ?? null).toBeNull();
    // The dead delivery's lease runs out and the re-drive hands the stage to a new delivery, which does not submit
    // again (the submission may still answer): it parks, and says so.
    const skipped = (await skipsOf(job.jobId, "transcribe")).length;
    await recoverStalledJobs({ config, transcriber: falTranscriber, now: new Date() });
    const [parked] = await waitForSkips(job.jobId, skipped, 1, { stage: "transcribe" });
    expect(parked.reason).toBe("submission_in_flight");
    expect(fal.requests).toHaveLength(1);
    // FAL's webhook for that submission arrives (signed, with the job's token): adopted, the job completes.
    const answer = await fal.deliverWebhook(fal.requests[0], {
      request_id: fal.requests[0].id,
      gateway_request_id: fal.requests[0].id,
      status: "OK",
      payload: whisperOutputFor(FAL_SCRIPT),
      error: null,
    });
    expect(answer).toEqual({ status: 200, body: { ok: true, outcome: "completed" } });
    const done = await ended(job);
    expect(done.status).toBe("completed");
    expect(done.stages.transcribe.provider_request_id).toBe(fal.requests[0].id);
    expect(fal.requests).toHaveLength(1);
  });
});
