/** At-least-once delivery: duplicate finalize events and a re-sent publish never start a second job or redo work. */
import { topicOf } from "../../src/pipeline/definition.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucket } from "../../src/store/firebase.js";

import functionsTest from "firebase-functions-test";
import { waitForSkips } from "../support/logLines.js";
import { prepareAudio, type FinalizedObject } from "../../src/stages/prepareAudio.js";
import { prepareAudio as prepareAudioTrigger } from "../../src/index.js";
import { makeWav } from "../support/audio.js";
import {
  collectMessages,
  config,
  createMemory,
  createUser,
  postAudio,
  readMemory,
  waitForPreparedOrEnded,
} from "../support/emulators.js";
import { db } from "../../src/store/firebase.js";
import { memoryPath } from "../../src/store/paths.js";

let transcribeMessages: Awaited<ReturnType<typeof collectMessages>>;
beforeAll(async () => {
  transcribeMessages = await collectMessages(topicOf("transcribe")!);
});
afterAll(() => transcribeMessages?.close());

const deps = (eventId: string) => ({
  config,
  now: () => new Date(),
  eventId,
  eventTime: new Date(),
  maxEventAgeMs: 3_600_000,
  deadline: new Date(Date.now() + 510_000),
});

async function finalizedObject(name: string): Promise<FinalizedObject> {
  const [meta] = await bucket(config.postprocessingBucket).file(name).getMetadata();
  return {
    bucket: config.postprocessingBucket,
    name,
    generation: meta.generation,
    metadata: meta.metadata as Record<string, string>,
  };
}

describe("duplicate deliveries", () => {
  it("racing duplicate finalize events do the work once and publish once", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const res = await postAudio({
      memoryId,
      token: user.idToken,
      file: makeWav({ seconds: 10.5, channels: 1, sampleRate: 16_000 }),
    });
    const jobId = (await res.json()).postprocessing.job_id;
    const object = await finalizedObject(`${user.uid}/${memoryId}/${jobId}.wav`);
    // The emulator delivers the real event; three more deliveries of the same object race with it.
    await Promise.all([
      prepareAudio(object, deps("dup-1")),
      prepareAudio(object, deps("dup-2")),
      prepareAudio(object, deps("dup-3")),
    ]);
    const pp = await waitForPreparedOrEnded(user.uid, memoryId);
    expect(pp.stages.prepare_audio).toMatchObject({
      state: "done",
      attempts: 1,
      idempotency_key: `${object.bucket}/${object.name}#${object.generation}`,
    });
    // And once more through the deployed trigger itself, as a redelivered CloudEvent.
    const fft = functionsTest({ projectId: process.env.GCLOUD_PROJECT });
    await fft.wrap(prepareAudioTrigger)({ data: object });
    fft.cleanup();
    // Five deliveries (the emulator's own and four duplicates): one did the work, the other four said they skipped
    // (a delivery that publishes says so instead); only then is the count of published messages final.
    await waitForSkips(jobId, 0, 4, { stage: "prepare_audio" });
    await expect.poll(() => transcribeMessages.forJob(jobId).length, { timeout: 60_000 }).toBe(1);
    expect(transcribeMessages.forJob(jobId)).toHaveLength(1);
    expect((await readMemory(user.uid, memoryId))!.postprocessing.job_id).toBe(jobId);
  });

  it("re-sends the next-stage message only if it was never published, without a new job", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const res = await postAudio({
      memoryId,
      token: user.idToken,
      file: makeWav({ seconds: 10.5, channels: 1, sampleRate: 16_000 }),
    });
    const jobId = (await res.json()).postprocessing.job_id;
    const before = await waitForPreparedOrEnded(user.uid, memoryId);
    await expect.poll(() => transcribeMessages.forJob(jobId).length, { timeout: 60_000 }).toBe(1);

    // Simulate a crash between "stage done" and "message published", longer ago than the hand-off lease.
    await db()
      .doc(memoryPath(user.uid, memoryId))
      .update({
        "postprocessing.stages.prepare_audio.next_published": false,
        "postprocessing.stages.prepare_audio.lease_expires_at": new Date(Date.now() - 1000).toISOString(),
      });
    const object = await finalizedObject(`${user.uid}/${memoryId}/${jobId}.wav`);
    await prepareAudio(object, deps("redelivery"));
    await prepareAudio(object, deps("redelivery-again"));
    await expect.poll(() => transcribeMessages.forJob(jobId).length, { timeout: 60_000 }).toBe(2);
    const after = (await readMemory(user.uid, memoryId))!.postprocessing;
    expect(after.job_id).toBe(jobId);
    expect(after.stages.prepare_audio).toMatchObject({ state: "done", attempts: 1, next_published: true });
    expect(after.audio).toEqual(before.audio);
  });

  it("ignores the pipeline's own outputs and objects of superseded jobs", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const res = await postAudio({
      memoryId,
      token: user.idToken,
      file: makeWav({ seconds: 10.5, channels: 1, sampleRate: 16_000 }),
    });
    const jobId = (await res.json()).postprocessing.job_id;
    const pp = await waitForPreparedOrEnded(user.uid, memoryId);
    const normalized = await finalizedObject(pp.audio.normalized_object);
    await prepareAudio(normalized, deps("own-output"));
    const stale = {
      ...(await finalizedObject(`${user.uid}/${memoryId}/${jobId}.wav`)),
      metadata: { uid: user.uid, memoryId, jobId: "some-older-job" },
    };
    await prepareAudio(stale, deps("superseded"));
    const after = (await readMemory(user.uid, memoryId))!.postprocessing;
    expect(after.job_id).toBe(jobId);
    expect(after.stages.prepare_audio).toEqual(pp.stages.prepare_audio);
    expect(after.audio).toEqual(pp.audio);
  });
});
