/**
 * Deleting an account or a memory erases its audio and derived data; the daily audit deletes orphaned objects and
 * never what a running job needs. Through the real triggers: the Auth emulator fires the account deletion, the
 * Firestore emulator the memory document's deletion, and the scheduled functions run in the Functions emulator on
 * the time Cloud Scheduler sends.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { auth, bucket, db } from "../../src/store/firebase.js";
import { memoryPath, userPath } from "../../src/store/paths.js";
import { memoryVectorPath } from "../../src/store/vectors.js";
import {
  apiUrl,
  config,
  createMemory,
  createUser,
  objectNames,
  postAudio,
  readMemory,
  runScheduled,
  waitFor,
  type TestUser,
} from "../support/emulators.js";
import { postVoiceSample, voiceSample } from "../support/enrollment.js";
import { logLines, waitForLines } from "../support/logLines.js";

const JFK = fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url));
const SAMPLE = ["This is my voice for the profile, recorded today.", "It should be long enough to say who I am."];

async function uploadJfk(user: TestUser, wait = true) {
  const memoryId = await createMemory(user.uid);
  const res = await postAudio({ memoryId, token: user.idToken, file: await readFile(JFK) });
  expect(res.status).toBe(200);
  const jobId = (await res.json()).postprocessing.job_id as string;
  if (wait)
    await waitFor(
      async () => {
        const pp = (await readMemory(user.uid, memoryId))?.postprocessing;
        return pp?.status === "completed" && pp.stages?.reprocess?.state === "done";
      },
      { what: "the job to complete", timeoutMs: 150_000 },
    );
  return { memoryId, jobId };
}

/** Every document under users/{uid}, however deep. */
async function documentsUnder(path: string): Promise<string[]> {
  const found: string[] = [];
  const doc = db().doc(path);
  if ((await doc.get()).exists) found.push(path);
  for (const collection of await doc.listCollections()) {
    for (const child of (await collection.listDocuments()).map((d) => d.path))
      found.push(...(await documentsUnder(child)));
  }
  return found;
}

const objectsOf = async (prefix: string) => [
  ...(await objectNames(config.recordingsBucket, prefix)),
  ...(await objectNames(config.postprocessingBucket, prefix)),
];

describe("deleting an account", () => {
  it(
    "erases both buckets and every document of the user, stops a running job, and leaves other users alone",
    { timeout: 400_000 },
    async () => {
      const user = await createUser({ storeRecordings: true });
      expect((await postVoiceSample("/v3/upload-audio", user.idToken, await voiceSample("en-us", SAMPLE))).status).toBe(
        200,
      );
      const person = await fetch(apiUrl("/v1/users/people"), {
        method: "POST",
        headers: { authorization: `Bearer ${user.idToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "Alice" }),
      }).then((r) => r.json() as Promise<{ id: string }>);
      expect(
        (
          await postVoiceSample(
            `/v1/users/people/${person.id}/speech-samples`,
            user.idToken,
            await voiceSample("en+f3", SAMPLE),
          )
        ).status,
      ).toBe(200);
      const first = await uploadJfk(user);
      await uploadJfk(user);
      const other = await createUser({ storeRecordings: true });
      const theirs = await uploadJfk(other);
      const theirObjects = await objectsOf(`${other.uid}/`);
      const theirDocuments = await documentsUnder(userPath(other.uid));

      // What there is to erase: kept recordings and voice samples, processing copies, vectors, versions, people.
      expect(await objectNames(config.recordingsBucket, `${user.uid}/speech_profiles/`)).toHaveLength(2);
      expect(await objectNames(config.recordingsBucket, `${user.uid}/${first.memoryId}/`)).toHaveLength(1);
      expect((await db().doc(memoryVectorPath(user.uid, first.memoryId)).get()).exists).toBe(true);
      expect((await documentsUnder(userPath(user.uid))).length).toBeGreaterThan(6);

      // A job still running when the account goes.
      const running = await uploadJfk(user, false);
      await auth().deleteUser(user.uid);
      const erasure = await waitFor(
        async () => {
          const record = await db().doc(`erasures/user-${user.uid}`).get();
          return record.get("status") === "done" ? record.data() : null;
        },
        { what: "the account erasure", timeoutMs: 120_000 },
      );
      expect(erasure).toMatchObject({ kind: "user", uid: user.uid, passes: 1 });
      expect(erasure.counts.recording_objects).toBeGreaterThanOrEqual(4);
      expect(erasure.counts.documents).toBeGreaterThan(6);
      // The erasure record holds ids, counts and times, nothing of what the user said or recorded.
      expect(Object.keys(erasure).sort()).toEqual(
        [
          "counts",
          "finished_at",
          "kind",
          "memory_id",
          "pass_started_at",
          "passes",
          "recheck_after",
          "requested_at",
          "status",
          "uid",
        ].sort(),
      );

      // The running job stops at its next stage boundary; then, a lease after the request, the second pass
      // removes whatever a stage that was running wrote meanwhile.
      // The job has stopped once a delivery found its memory gone (claiming, or completing: lost_lease), or the job
      // ended first, and every delivery that started a stage has ended (each says so): nothing of it writes after the
      // second pass.
      await waitFor(
        async () => {
          const lines = await logLines((l) => l.jobId === running.jobId);
          const stopped = lines.some(
            (l) =>
              (l.event === "stage_skipped" && ["memory_gone", "lost_lease"].includes(String(l.reason))) ||
              ["job_canceled", "job_completed", "job_failed"].includes(String(l.event)),
          );
          const ended = new Set(lines.filter((l) => l.event === "delivery_ended").map((l) => l.eventId));
          const started = lines.filter((l) => l.event === "stage_started").map((l) => l.eventId);
          return stopped && started.every((id) => ended.has(id));
        },
        { what: "the running job's deliveries to end", timeoutMs: 180_000 },
      );
      await runScheduled(
        "recoverStalledJobs",
        new Date(Date.parse(erasure.requested_at) + config.stageLeaseMs + 60_000),
      );
      expect((await db().doc(`erasures/user-${user.uid}`).get()).get("passes")).toBe(2);
      expect(await objectsOf(`${user.uid}/`)).toEqual([]);
      expect(await documentsUnder(userPath(user.uid))).toEqual([]);

      const erased = await waitForLines(
        (l) => l.event === "user_data_erased" && l.uid === user.uid && !!l.tee_resource,
        {
          what: "user_data_erased",
        },
      );
      expect(erased.length).toBeGreaterThanOrEqual(1);
      expect(erased[0]).toMatchObject({ pass: 1 });
      expect(Number(erased[0].recordingObjects)).toBeGreaterThanOrEqual(4);

      // The other user: untouched.
      expect(await objectsOf(`${other.uid}/`)).toEqual(theirObjects);
      expect(await documentsUnder(userPath(other.uid))).toEqual(theirDocuments);
      expect((await readMemory(other.uid, theirs.memoryId))?.postprocessing.status).toBe("completed");
    },
  );
});

describe("deleting a memory", () => {
  it("flagged deleted: audio, vector and transcript versions go in the next re-drive; the document stays", async () => {
    const user = await createUser({ storeRecordings: true });
    const kept = await uploadJfk(user);
    const gone = await uploadJfk(user);
    expect(await objectsOf(`${user.uid}/${gone.memoryId}/`)).not.toEqual([]);
    await db().doc(memoryPath(user.uid, gone.memoryId)).update({ deleted: true });
    await runScheduled("recoverStalledJobs");

    expect(await objectsOf(`${user.uid}/${gone.memoryId}/`)).toEqual([]);
    expect((await db().doc(memoryVectorPath(user.uid, gone.memoryId)).get()).exists).toBe(false);
    expect(
      (
        await db()
          .collection(`${memoryPath(user.uid, gone.memoryId)}/transcripts`)
          .get()
      ).size,
    ).toBe(0);
    const memory = (await readMemory(user.uid, gone.memoryId))!;
    expect(memory).toMatchObject({
      deleted: true,
      postprocessing: { erased: true, audio: { recording_object: null } },
    });
    // The other memory keeps everything.
    expect(await objectNames(config.recordingsBucket, `${user.uid}/${kept.memoryId}/`)).toHaveLength(1);
    expect((await db().doc(memoryVectorPath(user.uid, kept.memoryId)).get()).exists).toBe(true);
    const lines = await waitForLines((l) => l.event === "memory_data_erased" && l.memoryId === gone.memoryId, {
      what: "memory_data_erased",
    });
    expect(lines.map((l) => l.how)).toEqual(["flagged_deleted"]);
  });

  it("document deleted: its trigger erases the audio, vector and transcript versions", async () => {
    const user = await createUser({ storeRecordings: true });
    const gone = await uploadJfk(user);
    expect(await objectsOf(`${user.uid}/${gone.memoryId}/`)).not.toEqual([]);
    await db().doc(memoryPath(user.uid, gone.memoryId)).delete();
    await waitFor(
      async () =>
        (await objectsOf(`${user.uid}/${gone.memoryId}/`)).length === 0 &&
        !(await db().doc(memoryVectorPath(user.uid, gone.memoryId)).get()).exists,
      { what: "the memory's data to be erased" },
    );
    expect(
      (
        await db()
          .collection(`${memoryPath(user.uid, gone.memoryId)}/transcripts`)
          .get()
      ).size,
    ).toBe(0);
    // The trigger logs once it has erased everything, a moment after the last object went.
    const lines = await waitForLines((l) => l.event === "memory_data_erased" && l.memoryId === gone.memoryId, {
      what: "memory_data_erased",
    });
    expect(lines[0]).toMatchObject({ how: "document_deleted", tee_resource: { type: "cloud_run_revision" } });
  });
});

describe("the daily bucket audit", () => {
  it(
    "deletes old orphans only, never what a running job or a reference needs, and says so",
    { timeout: 300_000 },
    async () => {
      const user = await createUser({ storeRecordings: true });
      const referenced = await uploadJfk(user);
      const put = (bucketName: string, name: string) =>
        bucket(bucketName).file(name).save(Buffer.from("RIFF....WAVE"), { resumable: false });
      const orphans = [
        [config.recordingsBucket, `${user.uid}/mem-ghost/job-1.wav`],
        [config.postprocessingBucket, `${user.uid}/mem-ghost/job-1.16k.wav`],
        [config.recordingsBucket, `${user.uid}/speech_profiles/self/1.wav`],
      ] as const;
      for (const [b, name] of orphans) await put(b, name);

      // A run now: every orphan is younger than the grace period, so none goes.
      await runScheduled("auditBuckets");
      for (const [b, name] of orphans) expect(await objectNames(b, name)).toEqual([name]);

      // An upload in flight while the audit runs a day later: its objects stay, whatever their age.
      const inFlight = await uploadJfk(user, false);
      await runScheduled("auditBuckets", new Date(Date.now() + config.auditGraceMs + 3_600_000));
      for (const [b, name] of orphans) expect(await objectNames(b, name)).toEqual([]);
      const pp = (await readMemory(user.uid, inFlight.memoryId))!.postprocessing;
      if (pp.status === "in_progress") {
        expect(await objectNames(config.postprocessingBucket, `${user.uid}/${inFlight.memoryId}/`)).not.toEqual([]);
      }
      await waitFor(
        async () => (await readMemory(user.uid, inFlight.memoryId))?.postprocessing.status === "completed",
        {
          what: "the job in flight to complete",
          timeoutMs: 150_000,
        },
      );
      expect(await objectNames(config.recordingsBucket, `${user.uid}/${inFlight.memoryId}/`)).toHaveLength(1);
      // Referenced objects stay.
      expect(await objectNames(config.recordingsBucket, `${user.uid}/${referenced.memoryId}/`)).toHaveLength(1);
      expect(await objectNames(config.postprocessingBucket, `${user.uid}/${referenced.memoryId}/`)).not.toEqual([]);

      const orphanLines = [
        [`${user.uid}/mem-ghost/job-1.wav`, "kept_recording"],
        [`${user.uid}/mem-ghost/job-1.16k.wav`, "memory_audio"],
        [`${user.uid}/speech_profiles/self/1.wav`, "user_voice_sample"],
      ];
      const deleted = await waitForLines(
        (l) => l.event === "orphan_deleted" && l.uid === user.uid && !!l.tee_resource,
        { what: "orphan_deleted", count: orphanLines.length },
      );
      expect(deleted.map((l) => [l.object, l.kind]).sort()).toEqual(orphanLines.sort());
      const runs = await waitForLines((l) => l.event === "bucket_audit_finished" && !!l.tee_resource, {
        what: "bucket_audit_finished",
        count: 2,
      });
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(Number(runs.at(-1)!.orphansDeleted)).toBeGreaterThanOrEqual(3);
    },
  );
});
