/** The scheduled cleanup, invoked through the deployed trigger's handler against the emulators. */
import { describe, expect, it } from "vitest";
import { bucket } from "../../src/store/firebase.js";
import { sweepExpiredAudio } from "../../src/index.js";
import { config, createMemory, createUser, objectNames, runScheduled, uniqueId } from "../support/emulators.js";
import { waitForLines } from "../support/logLines.js";

async function putAudio(bucketName: string, name: string, metadata: Record<string, string>) {
  await bucket(bucketName)
    .file(name)
    .save(Buffer.from("RIFF....WAVEfmt "), {
      resumable: false,
      metadata: { metadata: { ...metadata, pipelineDerived: "normalized" } },
    });
}

const runSweep = (at: number) => sweepExpiredAudio.run({ scheduleTime: new Date(at).toISOString(), jobName: "test" });

describe("sweepExpiredAudio", () => {
  it("deletes post-processing audio only once it has expired and its job is over; never recordings", async () => {
    const user = await createUser({ storeRecordings: true });
    const now = new Date().toISOString();
    const job = (status: string, jobId: string) => ({
      postprocessing: { status, job_id: jobId, model: "fal_whisperx", updated_at: now, stages: {} },
    });
    const done = await createMemory(user.uid, job("completed", "job-done"));
    const failed = await createMemory(user.uid, job("failed", "job-failed"));
    const running = await createMemory(user.uid, job("in_progress", "job-running"));
    const superseded = await createMemory(user.uid, job("in_progress", "job-new"));
    // A memory whose document is gone (deleting one erases its objects at once, memoryDeleted; this one's object
    // outlived it, as an object written before that trigger existed would).
    const removed = uniqueId("mem-gone");

    const objects: Record<string, [string, string]> = {
      done: [done, "job-done"],
      failed: [failed, "job-failed"],
      running: [running, "job-running"],
      superseded: [superseded, "job-old"],
      removed: [removed, "job-removed"],
    };
    const name = (key: string) => `${user.uid}/${objects[key][0]}/${objects[key][1]}.wav`;
    for (const [key, [memoryId, jobId]] of Object.entries(objects)) {
      await putAudio(config.postprocessingBucket, name(key), { uid: user.uid, memoryId, jobId });
    }
    await putAudio(config.recordingsBucket, name("done"), { uid: user.uid, memoryId: done, jobId: "job-done" });
    await bucket(config.postprocessingBucket).file(`${user.uid}/stray.bin`).save("no metadata");

    const all = await objectNames(config.postprocessingBucket, `${user.uid}/`);
    expect(all).toHaveLength(6);

    // Before the retention period has passed, nothing goes, whatever the job's state.
    await runSweep(Date.now() + config.retentionMs - 60_000);
    expect(await objectNames(config.postprocessingBucket, `${user.uid}/`)).toEqual(all);

    await runSweep(Date.now() + config.retentionMs + 60_000);
    expect(await objectNames(config.postprocessingBucket, `${user.uid}/`)).toEqual(
      [name("running"), `${user.uid}/stray.bin`].sort(),
    );
    expect(await objectNames(config.recordingsBucket, `${user.uid}/`)).toEqual([name("done")]);
  });
  it("runs in the Functions emulator on the time Cloud Scheduler sends, and logs each deletion", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid, {
      postprocessing: {
        status: "completed",
        job_id: "job-old",
        model: "fal_whisperx",
        updated_at: new Date().toISOString(),
        stages: {},
      },
    });
    const old = `${user.uid}/${memoryId}/job-old.16k.wav`;
    await putAudio(config.postprocessingBucket, old, { uid: user.uid, memoryId, jobId: "job-old" });
    await runScheduled("sweepExpiredAudio", new Date(Date.now() + config.retentionMs + 60_000));
    expect(await objectNames(config.postprocessingBucket, `${user.uid}/`)).toEqual([]);
    const lines = await waitForLines((l) => l.event === "sweep_deleted" && l.object === old, { what: "sweep_deleted" });
    expect(lines).toHaveLength(1);
    expect(lines[0].tee_resource).toMatchObject({ type: "cloud_run_revision" });
  });

  it("started by hand (no scheduleTime, as the console's 'run now' sends), deletes only what has expired", async () => {
    const user = await createUser();
    const now = new Date().toISOString();
    const memoryId = await createMemory(user.uid, {
      postprocessing: { status: "completed", job_id: "job-fresh", model: "fal_whisperx", updated_at: now, stages: {} },
    });
    const fresh = `${user.uid}/${memoryId}/job-fresh.16k.wav`;
    await putAudio(config.postprocessingBucket, fresh, { uid: user.uid, memoryId, jobId: "job-fresh" });
    // Before the fix the run's time was an Invalid Date, every age NaN, and this fresh object of a finished job went.
    await sweepExpiredAudio.run({ jobName: "by-hand" } as never);
    expect(await objectNames(config.postprocessingBucket, `${user.uid}/${memoryId}/`)).toEqual([fresh]);
  });
});
