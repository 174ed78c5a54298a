/**
 * Kept audio (the recordings bucket) never outlives the user's permission, nor its last reference:
 * - a revocation that lands between the permission check and the write of kept audio wins: the object is deleted and
 *   no reference to it is stored (store/keepAudio.ts);
 * - a replaced or dropped voice sample, the recording of a job a new upload replaced, and the copy of an upload that
 *   turned out not to be audio are deleted.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bucket, db } from "../../src/store/firebase.js";
import { confirmKept } from "../../src/store/keepAudio.js";
import { deleteKeptAudio } from "../../src/store/keptAudio.js";
import { memoryPath, personPath, userPath } from "../../src/store/paths.js";
import { audioStorageGrant, setAudioStorage } from "../../src/store/users.js";
import {
  apiUrl,
  config,
  createMemory,
  createUser,
  objectNames,
  postAudio,
  readMemory,
  waitFor,
  waitForPreparedOrEnded,
  type TestUser,
} from "../support/emulators.js";
import { makeWav } from "../support/audio.js";
import { logLines } from "../support/logLines.js";
import { postVoiceSample, voiceSample } from "../support/enrollment.js";

const JFK = fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url));
const recordings = () => bucket(config.recordingsBucket);

const sample = (voice: string) =>
  voiceSample(voice, [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "We usually talk about work, running and the books we are reading.",
  ]);
const postSample = (path: string, user: TestUser, file: Buffer) => postVoiceSample(path, user.idToken, file);

describe("a revocation racing a write of kept audio", () => {
  it("DELETE between the permission check and the write: the object is deleted, no reference is stored", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid, {
      postprocessing: { audio: { recording_object: null } },
    });
    // The permission is checked (the grant)…
    const grant = await audioStorageGrant(user.uid);
    expect(grant.allowed).toBe(true);
    // …then DELETE /v1/users/store-recording-permission runs: its listing cannot see what is not written yet…
    const deletion = await deleteKeptAudio(user.uid, { recordingsBucket: config.recordingsBucket, by: "t", via: "t" });
    expect(deletion.objectsDeleted).toBe(0);
    // …then the write lands, and is confirmed against the permission it was made under.
    const name = `${user.uid}/${memoryId}/job-race.wav`;
    const file = recordings().file(name);
    await file.save(Buffer.from("RIFF"), { resumable: false });
    const ref = db().doc(memoryPath(user.uid, memoryId));
    const kept = await confirmKept(user.uid, grant, file, {
      store: (tx) => void tx.update(ref, { "postprocessing.audio.recording_object": name }),
    });
    expect(kept).toBe(false);
    expect((await file.exists())[0]).toBe(false);
    expect((await readMemory(user.uid, memoryId))!.postprocessing.audio.recording_object).toBeNull();
  });

  it("storage switched off and on again meanwhile still counts as a revocation", async () => {
    const user = await createUser({ storeRecordings: true });
    const grant = await audioStorageGrant(user.uid);
    await setAudioStorage(user.uid, false);
    await setAudioStorage(user.uid, true);
    const file = recordings().file(`${user.uid}/m/job-flip.wav`);
    await file.save(Buffer.from("RIFF"), { resumable: false });
    expect(await confirmKept(user.uid, grant, file)).toBe(false);
    expect((await file.exists())[0]).toBe(false);
  });

  it("without a revocation the write is kept and its reference stored in the same transaction", async () => {
    const user = await createUser({ storeRecordings: true });
    const grant = await audioStorageGrant(user.uid);
    const file = recordings().file(`${user.uid}/m/job-kept.wav`);
    await file.save(Buffer.from("RIFF"), { resumable: false });
    const userRef = db().doc(userPath(user.uid));
    expect(await confirmKept(user.uid, grant, file, { store: (tx) => void tx.update(userRef, { marker: 1 }) })).toBe(
      true,
    );
    expect((await file.exists())[0]).toBe(true);
    expect((await userRef.get()).get("marker")).toBe(1);
  });
});

describe("no kept audio without a reference", () => {
  it("a replaced voice sample's audio is deleted; so are a person's samples dropped from the profile", async () => {
    const user = await createUser({ storeRecordings: true });
    expect((await postSample("/v3/upload-audio", user, await sample("en-us"))).status).toBe(200);
    const first = (await db().doc(userPath(user.uid)).get()).get("speech_profile.sample_object") as string;
    expect((await recordings().file(first).exists())[0]).toBe(true);
    expect((await postSample("/v3/upload-audio", user, await sample("en-us"))).status).toBe(200);
    const second = (await db().doc(userPath(user.uid)).get()).get("speech_profile.sample_object") as string;
    expect(second).not.toBe(first);
    expect(await objectNames(config.recordingsBucket, `${user.uid}/speech_profiles/self/`)).toEqual([second]);

    // A person's profile holds at most ten samples: the eleventh drops the oldest, and its audio goes with it.
    const personRes = await fetch(apiUrl("/v1/users/people"), {
      method: "POST",
      headers: { authorization: `Bearer ${user.idToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Alice" }),
    });
    const person = (await personRes.json()) as { id: string };
    const audio = await sample("en+f3");
    for (let i = 0; i < 11; i++)
      expect((await postSample(`/v1/users/people/${person.id}/speech-samples`, user, audio)).status).toBe(200);
    const samples = (await db().doc(personPath(user.uid, person.id)).get()).get("samples") as { object: string }[];
    expect(samples).toHaveLength(10);
    expect(await objectNames(config.recordingsBucket, `${user.uid}/speech_profiles/${person.id}/`)).toEqual(
      samples.map((s) => s.object).sort(),
    );
  });

  it("a new upload replacing a failed one deletes the failed job's kept recording", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const jfk = await readFile(JFK);
    // The first upload is cut off (shorter than the memory needs): its job ends, its recording kept.
    const first = await postAudio({ memoryId, token: user.idToken, file: makeWav({ seconds: 6 }) });
    expect(first.status).toBe(200);
    const firstJob = ((await first.json()) as { postprocessing: { job_id: string } }).postprocessing.job_id;
    expect((await waitForPreparedOrEnded(user.uid, memoryId)).status).toBe("canceled");
    expect(await objectNames(config.recordingsBucket, `${user.uid}/${memoryId}/`)).toEqual([
      `${user.uid}/${memoryId}/${firstJob}.wav`,
    ]);
    // The second replaces it: one recording for the memory, the one its job names.
    const second = await postAudio({ memoryId, token: user.idToken, file: jfk });
    expect(second.status).toBe(200);
    const secondJob = ((await second.json()) as { postprocessing: { job_id: string } }).postprocessing.job_id;
    const kept = `${user.uid}/${memoryId}/${secondJob}.wav`;
    expect(await objectNames(config.recordingsBucket, `${user.uid}/${memoryId}/`)).toEqual([kept]);
    expect((await readMemory(user.uid, memoryId))!.postprocessing.audio.recording_object).toBe(kept);
  });

  it("an upload that is not decodable audio leaves no kept copy and no reference behind", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    // Sniffs as a WAV (and is kept at upload), but its format tag is bad and it is truncated: ffmpeg cannot decode it.
    const wav = makeWav({ seconds: 11, channels: 1, sampleRate: 16_000 });
    const broken = Buffer.concat([wav.subarray(0, 20), Buffer.from([0xff, 0xff]), wav.subarray(22, 64)]);
    const res = await postAudio({ memoryId, token: user.idToken, file: broken });
    expect(res.status).toBe(200);
    const ended = await waitFor(
      async () => {
        const pp = (await readMemory(user.uid, memoryId))!.postprocessing;
        return ["failed", "canceled"].includes(pp.status) ? pp : null;
      },
      { what: "the job to end" },
    );
    expect(ended.fail_reason).toMatch(/^undecodable_audio/);
    // The job fails first; then the stage deletes the upload and its kept copy, and says so.
    await waitFor(
      async () => (await logLines((l) => l.event === "upload_discarded" && l.jobId === ended.job_id)).length,
      {
        what: "the upload to be discarded",
      },
    );
    expect((await readMemory(user.uid, memoryId))!.postprocessing.audio.recording_object).toBeNull();
    expect(await objectNames(config.recordingsBucket, `${user.uid}/${memoryId}/`)).toEqual([]);
  });
});
