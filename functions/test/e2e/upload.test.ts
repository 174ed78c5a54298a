/** The app's upload, end to end through the emulated HTTPS function, Storage trigger, Firestore and Pub/Sub. */
import { topicOf } from "../../src/pipeline/definition.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucket } from "../../src/store/firebase.js";

import { parseWavHeader } from "../../src/audio/wav.js";
import { encodeAudio, makeWav } from "../support/audio.js";
import {
  collectMessages,
  config,
  createMemory,
  createUser,
  objectNames,
  postAudio,
  readMemory,
  waitForPreparedOrEnded,
} from "../support/emulators.js";

let transcribeMessages: Awaited<ReturnType<typeof collectMessages>>;
beforeAll(async () => {
  transcribeMessages = await collectMessages(topicOf("transcribe")!);
});
afterAll(() => transcribeMessages?.close());

describe("POST /v1/memories/{id}/post-processing", () => {
  it("accepts a WAV, keeps a recording when allowed, and prepares 16 kHz mono audio for transcription", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const wav = makeWav({ seconds: 12.5, sampleRate: 44_100, channels: 2 });

    const res = await postAudio({
      memoryId,
      token: user.idToken,
      file: wav,
      filename: "recording.bin",
      fileType: "application/octet-stream",
      query: "?emotional_feedback=true",
    });
    expect(res.status).toBe(200);
    const memory = await res.json();
    expect(memory.id).toBe(memoryId);
    expect(memory.postprocessing).toMatchObject({ status: "in_progress", model: "fal_whisperx" });
    expect(memory.transcript_segments).toHaveLength(2);
    expect(memory.structured.title).toBe("Streaming memory");
    const jobId: string = memory.postprocessing.job_id;
    expect(jobId).toMatch(/^[A-Za-z0-9]{20}$/);

    const jobUrl = new URL(res.headers.get("location")!, res.url);
    expect(jobUrl.pathname).toMatch(new RegExp(`/v1/memories/${memoryId}/post-processing/jobs/${jobId}$`));

    const objectName = `${user.uid}/${memoryId}/${jobId}.wav`;
    expect(await objectNames(config.recordingsBucket, `${user.uid}/`)).toEqual([objectName]);
    const [meta] = await bucket(config.postprocessingBucket).file(objectName).getMetadata();
    expect(meta.metadata).toMatchObject({
      uid: user.uid,
      memoryId,
      jobId,
      flags: "emotional_feedback",
      uploadedVia: "multipart",
    });
    expect(meta.contentType).toBe("audio/wav");
    expect(Number(meta.size)).toBe(wav.length);

    const pp = await waitForPreparedOrEnded(user.uid, memoryId);
    expect(pp).toMatchObject({ status: "in_progress", job_id: jobId, flags: { emotional_feedback: true } });
    expect(pp.stages.prepare_audio).toMatchObject({ state: "done", attempts: 1, next_published: true });
    expect(pp.stages.transcribe).toBeDefined(); // handed on (the offline transcriber may already be running)
    expect(pp.audio.duration_s).toBeCloseTo(12.5, 1);

    const normalizedName = `${user.uid}/${memoryId}/${jobId}.16k.wav`;
    expect(pp.audio.normalized_object).toBe(normalizedName);
    const [normalized] = await bucket(config.postprocessingBucket).file(normalizedName).download();
    expect(parseWavHeader(normalized)).toMatchObject({ sampleRate: 16_000, channels: 1, bitsPerSample: 16 });
    expect(parseWavHeader(normalized)!.durationS).toBeCloseTo(12.5, 1);

    const jobRes = await fetch(jobUrl, { headers: { authorization: `Bearer ${user.idToken}` } });
    expect(jobRes.status).toBe(200);
    const { job } = await jobRes.json();
    expect(job).toMatchObject({
      id: jobId,
      status: "in_progress",
      audio: { format: "wav", kept_in_recordings: true, duration_s: pp.audio.duration_s },
    });
    expect(job.stages.prepare_audio).toEqual({ state: "done", required: true, attempts: 1, last_error: null });

    await expect.poll(() => transcribeMessages.forJob(jobId).length, { timeout: 60_000 }).toBe(1);
    expect(transcribeMessages.forJob(jobId)[0]).toEqual({ uid: user.uid, memoryId, jobId });
  });

  it("accepts an MP3 without keeping a recording when the user does not allow it", async () => {
    const user = await createUser({ storeRecordings: false });
    const memoryId = await createMemory(user.uid);
    const mp3 = await encodeAudio(makeWav({ seconds: 11, sampleRate: 22_050, channels: 1 }), "mp3");

    const res = await postAudio({
      memoryId,
      token: user.idToken,
      file: mp3,
      filename: "audio.wav",
      fileType: "audio/wav",
    });
    expect(res.status).toBe(200);
    const jobId = (await res.json()).postprocessing.job_id;

    expect(await objectNames(config.recordingsBucket, `${user.uid}/`)).toEqual([]);
    const pp = await waitForPreparedOrEnded(user.uid, memoryId);
    expect(pp.status).toBe("in_progress");
    expect(pp.audio).toMatchObject({ format: "mp3", recording_object: null });
    expect(pp.audio.duration_s).toBeGreaterThan(10.9);
    expect(pp.audio.duration_s).toBeLessThan(11.2);
    const names = await objectNames(config.postprocessingBucket, `${user.uid}/${memoryId}/${jobId}.`);
    expect(names).toContain(`${user.uid}/${memoryId}/${jobId}.16k.wav`);
    expect(names).toContain(`${user.uid}/${memoryId}/${jobId}.mp3`);
  });

  it.each(["m4a", "ogg", "flac"] as const)("decodes %s uploads", async (ext) => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const file = await encodeAudio(makeWav({ seconds: 10.5, sampleRate: 48_000, channels: 1 }), ext);
    const res = await postAudio({
      memoryId,
      token: user.idToken,
      file,
      filename: `x.${ext}`,
      fileType: "application/octet-stream",
    });
    expect(res.status).toBe(200);
    const pp = await waitForPreparedOrEnded(user.uid, memoryId);
    expect(pp.status).toBe("in_progress");
    expect(pp.audio.duration_s).toBeGreaterThan(10.3);
  });

  it("cancels the job when the audio is under the 10 s minimum, leaving the transcript alone", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const before = await readMemory(user.uid, memoryId);
    const res = await postAudio({ memoryId, token: user.idToken, file: makeWav({ seconds: 6 }) });
    expect(res.status).toBe(200);
    const pp = await waitForPreparedOrEnded(user.uid, memoryId);
    expect(pp.status).toBe("canceled");
    expect(pp.fail_reason).toMatch(/^audio_too_short: 6\.0 s .* 10\.0 s/);
    expect((await readMemory(user.uid, memoryId))!.transcript_segments).toEqual(before!.transcript_segments);
  });

  it("cancels a cut-off upload that is much shorter than the memory's existing transcript", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid, {
      transcript_segments: [
        { text: "start", speaker: "SPEAKER_00", speaker_id: 0, is_user: true, person_id: null, start: 0, end: 3 },
        { text: "end", speaker: "SPEAKER_01", speaker_id: 1, is_user: false, person_id: null, start: 55, end: 60 },
      ],
    });
    const res = await postAudio({
      memoryId,
      token: user.idToken,
      file: makeWav({ seconds: 30, channels: 1, sampleRate: 16_000 }),
    });
    expect(res.status).toBe(200);
    const pp = await waitForPreparedOrEnded(user.uid, memoryId);
    expect(pp.status).toBe("canceled");
    expect(pp.fail_reason).toMatch(/30\.0 s .* 50\.0 s/);
  });

  it("fails the job, not the request, when a sniffed-valid file cannot be decoded", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const wav = makeWav({ seconds: 11, channels: 1, sampleRate: 16_000 });
    // Bad format tag, truncated.
    const broken = Buffer.concat([wav.subarray(0, 20), Buffer.from([0xff, 0xff]), wav.subarray(22, 64)]);
    const res = await postAudio({ memoryId, token: user.idToken, file: broken });
    expect(res.status).toBe(200);
    const pp = await waitForPreparedOrEnded(user.uid, memoryId);
    expect(pp.status).toBe("failed");
    expect(pp.fail_reason).toMatch(/^undecodable_audio/);
    expect(pp.stages.prepare_audio.state).toBe("failed");
  });

  it("lets a failed or canceled memory be post-processed again", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    await postAudio({ memoryId, token: user.idToken, file: makeWav({ seconds: 3 }) });
    expect((await waitForPreparedOrEnded(user.uid, memoryId)).status).toBe("canceled");
    const retry = await postAudio({
      memoryId,
      token: user.idToken,
      file: makeWav({ seconds: 10.5, channels: 1, sampleRate: 16_000 }),
    });
    expect(retry.status).toBe(200);
    const pp = await waitForPreparedOrEnded(user.uid, memoryId);
    expect(pp.status).toBe("in_progress");
    expect(pp.stages.prepare_audio.state).toBe("done");
  });
});
