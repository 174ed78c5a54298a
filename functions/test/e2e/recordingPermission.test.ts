/**
 * `GET | POST | DELETE /v1/users/store-recording-permission` end to end: the permission as the upload reads it, and
 * DELETE removing every kept recording and voice sample (recordings bucket) while embeddings, the post-processing
 * bucket's copies and other users' audio stay, with an audit entry each time.
 */
import { FieldValue } from "firebase-admin/firestore";
import { describe, expect, it } from "vitest";
import { bucket, db } from "../../src/store/firebase.js";
import { deleteKeptAudio } from "../../src/store/keptAudio.js";
import { personPath, userPath } from "../../src/store/paths.js";
import { makeWav } from "../support/audio.js";
import {
  apiUrl,
  config,
  createMemory,
  createUser,
  objectNames,
  postAudio,
  readMemory,
  waitForPreparedOrEnded,
  type TestUser,
} from "../support/emulators.js";
import { postVoiceSample, voiceSample } from "../support/enrollment.js";

const ROUTE = "/v1/users/store-recording-permission";

function call(method: string, token: string | undefined, opts: { query?: string; body?: unknown } = {}) {
  return fetch(apiUrl(`${ROUTE}${opts.query ?? ""}`), {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
}

const permissionInDb = async (uid: string) => (await db().doc(userPath(uid)).get()).get("store_recording_permission");

async function errorOf(res: Response) {
  return [res.status, ((await res.json()) as { error?: { code?: string } }).error?.code];
}

const sample = voiceSample;
const postSample = (path: string, user: TestUser, file: Buffer) => postVoiceSample(path, user.idToken, file);

/** A 6 s upload: its recording is kept at once (when allowed) and the job is canceled as too short, cheaply. */
async function uploadKept(user: TestUser) {
  const memoryId = await createMemory(user.uid);
  const res = await postAudio({ memoryId, token: user.idToken, file: makeWav({ seconds: 6 }) });
  expect(res.status).toBe(200);
  const pp = await waitForPreparedOrEnded(user.uid, memoryId);
  return { memoryId, jobId: pp.job_id as string, object: `${user.uid}/${memoryId}/${pp.job_id}.wav` };
}

const sizeOf = async (bucketName: string, name: string) =>
  Number((await bucket(bucketName).file(name).getMetadata())[0].size);

describe("GET and POST /v1/users/store-recording-permission", () => {
  it("answers the permission, false when the field or the user doc is missing (as the upload treats it)", async () => {
    const user = await createUser({ storeRecordings: true });
    expect(await (await call("GET", user.idToken)).json()).toEqual({ store_recording_permission: true });

    await db().doc(userPath(user.uid)).update({ store_recording_permission: FieldValue.delete() });
    const res = await call("GET", user.idToken);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ store_recording_permission: false });

    await db().doc(userPath(user.uid)).delete();
    expect(await (await call("GET", user.idToken)).json()).toEqual({ store_recording_permission: false });
  });

  it("sets it from ?value= or a JSON body {value}; a bad value is 400 and changes nothing", async () => {
    const user = await createUser({ storeRecordings: false });
    const on = await call("POST", user.idToken, { query: "?value=true" });
    expect(on.status).toBe(200);
    expect(await on.json()).toEqual({ status: "ok", store_recording_permission: true });
    expect(await permissionInDb(user.uid)).toBe(true);
    expect(await (await call("GET", user.idToken)).json()).toEqual({ store_recording_permission: true });

    const off = await call("POST", user.idToken, { body: { value: false } });
    expect(off.status).toBe(200);
    expect(await off.json()).toEqual({ status: "ok", store_recording_permission: false });
    expect(await permissionInDb(user.uid)).toBe(false);

    for (const bad of [
      { query: "?value=yes" },
      { query: "?value=" },
      { query: "?value=true&value=false" },
      {},
      { body: { value: "true" } },
      { body: { enabled: true } },
      { query: "?value=true", body: { value: false } },
    ]) {
      const res = await call("POST", user.idToken, bad);
      expect(await errorOf(res), JSON.stringify(bad)).toEqual([400, "invalid_argument"]);
      expect(await permissionInDb(user.uid)).toBe(false);
    }

    const put = await call("PUT", user.idToken, { query: "?value=true" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST, DELETE");
    expect(await permissionInDb(user.uid)).toBe(false);
  });

  it("refuses a missing or invalid token with 401, changing nothing", async () => {
    const user = await createUser({ storeRecordings: true });
    for (const method of ["GET", "POST", "DELETE"]) {
      expect(await errorOf(await call(method, undefined, { query: "?value=false" }))).toEqual([401, "unauthenticated"]);
      expect(await errorOf(await call(method, "not-a-token", { query: "?value=false" }))).toEqual([
        401,
        "unauthenticated",
      ]);
    }
    expect(await permissionInDb(user.uid)).toBe(true);
  });
});

describe("DELETE /v1/users/store-recording-permission", () => {
  it("turns storage off, deletes every kept recording and voice sample, keeps embeddings, and audits it", async () => {
    const alice = await createUser({ storeRecordings: true });
    const bob = await createUser({ storeRecordings: true });
    const upload = await uploadKept(alice);
    const bobUpload = await uploadKept(bob);

    const own = await postSample(
      "/v3/upload-audio",
      alice,
      await sample("en-us", [
        "This is my voice sample for the profile, recorded today.",
        "It should be long enough to say who I am.",
      ]),
    );
    expect(own.status).toBe(200);
    const ownObject = ((await own.json()) as { url: string }).url.replace(`gs://${config.recordingsBucket}/`, "");
    const person = (await (
      await fetch(apiUrl("/v1/users/people"), {
        method: "POST",
        headers: { authorization: `Bearer ${alice.idToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "Alice's friend" }),
      })
    ).json()) as { id: string };
    const added = await postSample(
      `/v1/users/people/${person.id}/speech-samples`,
      alice,
      await sample("en+f3", [
        "Hi, I am a friend, and we work on the design of the new app.",
        "We meet every week to go through the plans and the open questions.",
      ]),
    );
    expect(added.status).toBe(200);

    const kept = await objectNames(config.recordingsBucket, `${alice.uid}/`);
    const personSample = kept.find((n) => n.startsWith(`${alice.uid}/speech_profiles/${person.id}/`))!;
    expect(kept).toEqual([upload.object, personSample, ownObject].sort());
    const bytes = (await Promise.all(kept.map((n) => sizeOf(config.recordingsBucket, n)))).reduce((a, b) => a + b);
    const userBefore = (await db().doc(userPath(alice.uid)).get()).data()!;
    const personBefore = (await db().doc(personPath(alice.uid, person.id)).get()).data()!;
    expect(userBefore.speech_profile.sample_object).toBe(ownObject);
    expect(personBefore.samples[0].object).toBe(personSample);
    expect((await readMemory(alice.uid, upload.memoryId))!.postprocessing.audio.recording_object).toBe(upload.object);

    const askedAt = new Date().toISOString();
    const res = await call("DELETE", alice.idToken);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({
      status: "ok",
      store_recording_permission: false,
      deleted: { objects: 3, bytes },
      references_cleared: { memories: 1, voice_samples: 2 },
      audit_id: expect.any(String),
    });

    // Gone from the recordings bucket; the post-processing copy (swept by retention) and Bob's recording stay.
    expect(await objectNames(config.recordingsBucket, `${alice.uid}/`)).toEqual([]);
    expect(await objectNames(config.postprocessingBucket, upload.object)).toEqual([upload.object]);
    expect(await objectNames(config.recordingsBucket, `${bob.uid}/`)).toEqual([bobUpload.object]);
    expect(await permissionInDb(bob.uid)).toBe(true);

    // Permission off; embeddings kept; nothing points at deleted audio.
    expect(await permissionInDb(alice.uid)).toBe(false);
    expect(await (await call("GET", alice.idToken)).json()).toEqual({ store_recording_permission: false });
    const userAfter = (await db().doc(userPath(alice.uid)).get()).data()!;
    expect(userAfter.speech_profile).toEqual({ ...userBefore.speech_profile, sample_object: null });
    const personAfter = (await db().doc(personPath(alice.uid, person.id)).get()).data()!;
    expect(personAfter.speech_profile).toEqual(personBefore.speech_profile);
    expect(personAfter.samples).toEqual([{ ...personBefore.samples[0], object: null }]);
    const audio = (await readMemory(alice.uid, upload.memoryId))!.postprocessing.audio;
    expect(audio.recording_object).toBeNull();
    expect(audio.recording_deleted_at).toEqual(expect.any(String));
    const jobRes = await fetch(apiUrl(`/v1/memories/${upload.memoryId}/post-processing/jobs/${upload.jobId}`), {
      headers: { authorization: `Bearer ${alice.idToken}` },
    });
    expect(((await jobRes.json()) as { job: { audio: unknown } }).job.audio).toMatchObject({
      kept_in_recordings: false,
    });

    const audit = (await db().doc(`users/${alice.uid}/audit/${body.audit_id}`).get()).data()!;
    expect(audit).toMatchObject({
      action: "recordings_deleted",
      by: alice.uid,
      via: `DELETE ${ROUTE}`,
      outcome: "done",
      bucket: config.recordingsBucket,
      store_recording_permission: { before: true, after: false },
      objects_deleted: 3,
      bytes_deleted: bytes,
      object_names_omitted: 0,
      objects_failed: 0,
      references_cleared: { memories: 1, voice_samples: 2 },
    });
    expect([...audit.object_names].sort()).toEqual(kept);
    expect(audit.at >= askedAt && audit.at <= new Date().toISOString()).toBe(true);

    // Idempotent: nothing left to delete, another entry with 0.
    const again = await call("DELETE", alice.idToken);
    expect(again.status).toBe(200);
    const second = await again.json();
    expect(second).toMatchObject({ deleted: { objects: 0, bytes: 0 }, references_cleared: { memories: 0 } });
    expect(second.audit_id).not.toBe(body.audit_id);
    const entries = await db().collection(`users/${alice.uid}/audit`).get();
    expect(entries.size).toBe(2);
    expect(entries.docs.find((d) => d.id === second.audit_id)!.data()).toMatchObject({
      objects_deleted: 0,
      object_names: [],
      store_recording_permission: { before: false, after: false },
    });

    // From now on nothing is kept.
    const later = await createMemory(alice.uid);
    expect((await postAudio({ memoryId: later, token: alice.idToken, file: makeWav({ seconds: 6 }) })).status).toBe(
      200,
    );
    await waitForPreparedOrEnded(alice.uid, later);
    expect(await objectNames(config.recordingsBucket, `${alice.uid}/`)).toEqual([]);
  }, 180_000);

  it("pages through many objects and clears only references to audio that is gone", async () => {
    const user = await createUser({ storeRecordings: true });
    const names = Array.from({ length: 5 }, (_, i) => `${user.uid}/mem-${i}/job-${i}.wav`);
    names.push(`${user.uid}/speech_profiles/self/1700000000000.wav`);
    await Promise.all(
      names.map((n) =>
        bucket(config.recordingsBucket)
          .file(n)
          .save(Buffer.alloc(100 + names.indexOf(n))),
      ),
    );
    // A memory whose recording was already gone, one whose recording is deleted now, one without a recording.
    const missing = await createMemory(user.uid, {
      postprocessing: { audio: { recording_object: `${user.uid}/x/y.wav` } },
    });
    const present = await createMemory(user.uid, { postprocessing: { audio: { recording_object: names[2] } } });
    const none = await createMemory(user.uid, { postprocessing: { audio: { recording_object: null } } });
    const other = await createUser({ storeRecordings: true });
    const otherName = `${other.uid}/speech_profiles/self/1.wav`;
    await bucket(config.recordingsBucket).file(otherName).save(Buffer.alloc(10));

    const result = await deleteKeptAudio(user.uid, {
      recordingsBucket: config.recordingsBucket,
      by: "operator@example.com",
      via: "test",
      pageSize: 2,
    });
    expect(result).toMatchObject({
      permissionBefore: true,
      objectsDeleted: 6,
      bytesDeleted: names.reduce((n, _, i) => n + 100 + i, 0),
      objectsFailed: 0,
      referencesCleared: { memories: 2, voiceSamples: 0 },
    });
    expect(await objectNames(config.recordingsBucket, `${user.uid}/`)).toEqual([]);
    expect(await objectNames(config.recordingsBucket, `${other.uid}/`)).toEqual([otherName]);
    for (const id of [missing, present])
      expect((await readMemory(user.uid, id))!.postprocessing.audio.recording_object).toBeNull();
    expect((await readMemory(user.uid, none))!.postprocessing.audio).toEqual({ recording_object: null });
    const audit = (await db().doc(`users/${user.uid}/audit/${result.auditId}`).get()).data()!;
    expect([...audit.object_names].sort()).toEqual([...names].sort());
    expect(audit.by).toBe("operator@example.com");
  });
});
