/**
 * A real model in production, against the emulators: the speaker model fetched from SPEAKER_MODEL_URI (the Storage
 * emulator for gs://, a local http server for URLs) and checked against its pinned SHA-256, its calibration read from
 * beside it; profiles of another model flagged for re-enrollment or re-embedded from kept sample audio. The models are
 * generated (test/support/onnxFixture.ts), each with a fresh seed so its digest, hence its cached file, is this run's.
 */
import { createHash, randomInt } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { FieldValue } from "firebase-admin/firestore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SNIFF_BYTES } from "../../src/audio/sniff.js";
import { speakerEmbedderFor } from "../../src/providers/speakerEmbedder/create.js";
import { scoringFor } from "../../src/providers/speakerEmbedder/scoring.js";
import { DEFAULT_MODEL_DIR } from "../../src/providers/speakerEmbedder/modelFetch.js";
import { OnnxSpeakerEmbedder, SpeakerModelError } from "../../src/providers/speakerEmbedder/onnx.js";
import { UNCALIBRATED_THRESHOLD } from "../../src/providers/speakerEmbedder/scoring.js";
import { embedVoiceSample } from "../../src/speaker/voiceSample.js";
import { bucket, db } from "../../src/store/firebase.js";
import { personPath, userPath } from "../../src/store/paths.js";
import { reembedProfiles } from "../../src/store/profileMigration.js";
import { writeProjectionModel } from "../support/onnxFixture.js";
import { makeConversation } from "../support/speech.js";
import { apiUrl, config, createUser, uniqueId, type TestUser } from "../support/emulators.js";

const BASELINE = "baseline-mfcc-f0-v1";
const DIMENSION = 32;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const modelIdOf = (digest: string) => `onnx:${digest.slice(0, 16)}`;

interface GeneratedModel {
  path: string;
  bytes: Buffer;
  digest: string;
}
async function generateModel(): Promise<GeneratedModel> {
  const path = await writeProjectionModel({ outputDim: DIMENSION, seed: randomInt(1, 2 ** 31) });
  const bytes = await readFile(path);
  return { path, bytes, digest: sha256(bytes) };
}

const prefix = `test-models/${uniqueId("run")}`;
const gsUri = (name: string) => `gs://${config.recordingsBucket}/${prefix}/${name}`;
const upload = (name: string, body: Buffer | string) =>
  bucket(config.recordingsBucket).file(`${prefix}/${name}`).save(body, { resumable: false });
const modelConfig = (uri: string, digest: string, calibrationDigest = "") => ({
  speakerModelPath: "",
  speakerModelUri: uri,
  speakerModelSha256: digest,
  speakerCalibrationSha256: calibrationDigest,
  speakerModelThreads: 1,
});
let calibrationText = "";

let stored: GeneratedModel;
let served: GeneratedModel;
let server: Server;
let origin: string;
const hits: Record<string, number> = {};

beforeAll(async () => {
  [stored, served] = await Promise.all([generateModel(), generateModel()]);
  await upload("speaker.onnx", stored.bytes);
  calibrationText = JSON.stringify({
    model_id: modelIdOf(stored.digest),
    threshold: 0.62,
    score_normalization: "none",
    measured: { voices: 8, false_accept_rate: 0.01, false_reject_rate: 0.07 },
  });
  await upload("speaker.calibration.json", calibrationText);
  server = createServer((req, res) => {
    hits[req.url ?? ""] = (hits[req.url ?? ""] ?? 0) + 1;
    if (req.url !== "/models/speaker.onnx") return void res.writeHead(404).end();
    setTimeout(() => res.writeHead(200, { "content-type": "application/octet-stream" }).end(served.bytes), 100);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await bucket(config.recordingsBucket).deleteFiles({ prefix });
  for (const model of [stored, served]) {
    if (!model) continue;
    await rm(dirname(model.path), { recursive: true, force: true });
    await rm(join(DEFAULT_MODEL_DIR, `${model.digest}.onnx`), { force: true });
  }
});

describe("SPEAKER_MODEL_URI", () => {
  it("fetches a gs:// model from Storage into the temp dir, checks its digest, and loads it with its calibration", async () => {
    const embedder = await speakerEmbedderFor(
      modelConfig(gsUri("speaker.onnx"), stored.digest, sha256(Buffer.from(calibrationText))),
    );
    expect(embedder).toBeInstanceOf(OnnxSpeakerEmbedder);
    expect(embedder.modelId).toBe(modelIdOf(stored.digest)); // the content's hash: the pinned one
    expect(embedder.dimension).toBe(DIMENSION);
    expect(await readFile(join(DEFAULT_MODEL_DIR, `${stored.digest}.onnx`))).toEqual(stored.bytes);
    expect(embedder.calibration).toMatchObject({ model_id: embedder.modelId, threshold: 0.62 });
    expect(scoringFor(embedder, null).threshold).toBe(0.62); // "calibrated", the default
    expect(scoringFor(embedder, 0.7).threshold).toBe(0.7); // pinned by the operator
    // Once per instance; and the URI wins over SPEAKER_MODEL_PATH.
    expect(
      await speakerEmbedderFor(
        modelConfig(gsUri("speaker.onnx"), stored.digest.toUpperCase(), sha256(Buffer.from(calibrationText))),
      ),
    ).toBe(embedder);
    expect(
      await speakerEmbedderFor({
        ...modelConfig(gsUri("speaker.onnx"), stored.digest, sha256(Buffer.from(calibrationText))),
        speakerModelPath: "/nowhere/model.onnx",
      }),
    ).toBe(embedder);
  });

  it("refuses a model whose digest is not the pinned one with a clear error, and keeps nothing", async () => {
    const pinned = sha256(Buffer.from(`not the model ${prefix}`));
    const load = speakerEmbedderFor(modelConfig(gsUri("speaker.onnx"), pinned));
    await expect(load).rejects.toBeInstanceOf(SpeakerModelError);
    await expect(load).rejects.toMatchObject({ code: "speaker_model_invalid", retryable: false });
    await expect(load).rejects.toThrow(
      `Speaker model ${gsUri("speaker.onnx")}: SHA-256 mismatch: expected ${pinned} (SPEAKER_MODEL_SHA256), ` +
        `got ${stored.digest}; the download was deleted`,
    );
    expect((await readdir(DEFAULT_MODEL_DIR)).filter((f) => f.startsWith(pinned))).toEqual([]);
  });

  it("does not cache a failed fetch: a model uploaded after a first attempt loads on the next", async () => {
    const later = await generateModel();
    try {
      const settings = modelConfig(gsUri("later.onnx"), later.digest);
      await expect(speakerEmbedderFor(settings)).rejects.toThrow(
        `Speaker model ${gsUri("later.onnx")} could not be fetched (404)`,
      );
      await upload("later.onnx", later.bytes);
      const embedder = await speakerEmbedderFor(settings);
      expect(embedder.modelId).toBe(modelIdOf(later.digest));
      expect(embedder.calibration).toBeNull(); // none beside it
    } finally {
      await rm(dirname(later.path), { recursive: true, force: true });
      await rm(join(DEFAULT_MODEL_DIR, `${later.digest}.onnx`), { force: true });
    }
  });

  it("refuses a pinned model's calibration that is not pinned too, or whose digest differs", async () => {
    const digest = sha256(Buffer.from(calibrationText));
    await expect(speakerEmbedderFor(modelConfig(gsUri("speaker.onnx"), stored.digest, ""))).rejects.toThrow(
      `is not pinned while its model is: set SPEAKER_CALIBRATION_SHA256 to ${digest}`,
    );
    const other = sha256(Buffer.from("another calibration"));
    await expect(speakerEmbedderFor(modelConfig(gsUri("speaker.onnx"), stored.digest, other))).rejects.toThrow(
      `SHA-256 mismatch: expected ${other} (SPEAKER_CALIBRATION_SHA256), got ${digest}`,
    );
  });

  it("fetches over http from 127.0.0.1 (emulators only), once for concurrent loads, with no calibration", async () => {
    const uri = `${origin}/models/speaker.onnx`;
    const [a, b] = await Promise.all([
      speakerEmbedderFor(modelConfig(uri, served.digest)),
      speakerEmbedderFor({ ...modelConfig(uri, served.digest), speakerModelThreads: 2 }),
    ]);
    expect(a.modelId).toBe(modelIdOf(served.digest));
    expect(b.modelId).toBe(a.modelId);
    expect(hits["/models/speaker.onnx"]).toBe(1);
    expect(hits["/models/speaker.calibration.json"]).toBeGreaterThanOrEqual(1);
    expect(a.calibration).toBeNull();
    expect(scoringFor(a, null).threshold).toBe(UNCALIBRATED_THRESHOLD);
  });
});

async function sample(text: string[]) {
  return (
    await makeConversation(
      text.map((t) => ({ voice: "en-us", text: t })),
      { gapS: 0.4 },
    )
  ).wav;
}
const OWN_SAMPLE = [
  "This is my voice sample for the profile, recorded today.",
  "It should be long enough to say who I am.",
];
const PERSON_SAMPLE = [
  "Hi, I am Alice, and I work with Sam on the design of the new app.",
  "We meet every week to go through the plans and the open questions.",
];

function postForm(path: string, token: string, file: Buffer) {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(file)], { type: "audio/wav" }), "sample.wav");
  return fetch(apiUrl(path), { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
}
const call = async (path: string, token: string, method = "GET", body?: unknown) => {
  const res = await fetch(apiUrl(path), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  expect(res.status, `${method} ${path}`).toBe(200);
  return res.json();
};
const setAudioStorage = (uid: string, allowed: boolean) =>
  db().doc(userPath(uid)).update({ store_recording_permission: allowed });

/** Enrollment through the API (the emulated functions run the baseline embedder). */
async function enrollOwnVoice(user: TestUser) {
  expect((await postForm("/v3/upload-audio", user.idToken, await sample(OWN_SAMPLE))).status).toBe(200);
}
async function addPerson(user: TestUser, name: string): Promise<string> {
  const person = await call("/v1/users/people", user.idToken, "POST", { name });
  const added = await postForm(
    `/v1/users/people/${person.id}/speech-samples`,
    user.idToken,
    await sample(PERSON_SAMPLE),
  );
  expect(added.status).toBe(200);
  return person.id as string;
}

const userDoc = async (uid: string) => (await db().doc(userPath(uid)).get()).data()!;
const personDoc = async (uid: string, personId: string) => (await db().doc(personPath(uid, personId)).get()).data()!;

describe("profiles of another speaker model", () => {
  it("are flagged needs_reenrollment when no kept audio may be used, and a new sample clears it", async () => {
    // The user's own sample is kept, but they revoke audio storage before the model changes; the person's never was.
    const user = await createUser({ storeRecordings: true });
    await enrollOwnVoice(user);
    await setAudioStorage(user.uid, false);
    const person = { id: await addPerson(user, "Alice") };
    expect((await userDoc(user.uid)).speech_profile.sample_object).toEqual(expect.any(String));
    expect((await personDoc(user.uid, person.id)).samples[0].object).toBeNull();
    const before = await call("/v1/users/speech-profile", user.idToken);
    expect(before.speech_profile).toMatchObject({ model_id: BASELINE, needs_reenrollment: false });
    expect(before.people).toEqual([
      expect.objectContaining({
        id: person.id,
        speech_profile: expect.objectContaining({ needs_reenrollment: false }),
      }),
    ]);

    // The model changes: here, the profiles were made by another model than the one the emulator runs.
    const other = "onnx:00000000deadbeef";
    await db().doc(userPath(user.uid)).update({ "speech_profile.model_id": other });
    await db().doc(personPath(user.uid, person.id)).update({ "speech_profile.model_id": other });
    const flagged = await call("/v1/users/speech-profile", user.idToken);
    expect(flagged.speech_profile).toMatchObject({
      model_id: other,
      needs_reenrollment: true,
      reenrollment_reason: "model_changed",
    });
    expect(flagged.people[0].speech_profile).toMatchObject({ needs_reenrollment: true });
    expect((await userDoc(user.uid)).speech_profile).toMatchObject({
      needs_reenrollment: true,
      reenrollment_reason: "model_changed",
    });
    expect((await personDoc(user.uid, person.id)).speech_profile.needs_reenrollment).toBe(true);
    expect(await call("/v1/users/speech-profile/reembed", user.idToken, "POST")).toMatchObject({
      reembedded: [],
      needs_reenrollment: ["user", person.id],
      pending: [],
    });

    // Recording a new sample replaces the profile, flag included.
    const again = await (await postForm("/v3/upload-audio", user.idToken, await sample(OWN_SAMPLE))).json();
    expect(again.speech_profile).toMatchObject({ model_id: BASELINE, needs_reenrollment: false });
    expect((await userDoc(user.uid)).speech_profile.needs_reenrollment).toBeUndefined();
  });

  it("are re-embedded from kept samples with the new model, and back when the model is rolled back", async () => {
    const user = await createUser({ storeRecordings: true });
    await enrollOwnVoice(user);
    const personId = await addPerson(user, "Alice");
    // A second person whose sample was added while audio storage was off: nothing to re-embed from.
    await setAudioStorage(user.uid, false);
    const unkept = await addPerson(user, "Bob");
    await setAudioStorage(user.uid, true);
    const own = (await userDoc(user.uid)).speech_profile;
    expect(own.sample_object).toMatch(new RegExp(`^${user.uid}/speech_profiles/self/\\d+\\.wav$`));
    // A profile from before `sample_object` was recorded: the newest kept sample of `self` is used.
    await db().doc(userPath(user.uid)).update({ "speech_profile.sample_object": FieldValue.delete() });

    const onnx = await speakerEmbedderFor(
      modelConfig(gsUri("speaker.onnx"), stored.digest, sha256(Buffer.from(calibrationText))),
    );
    const result = await reembedProfiles(user.uid, onnx);
    expect(result.reembedded.sort()).toEqual(["user", personId].sort());
    expect(result.needsReenrollment).toEqual([unkept]);
    expect(result.pending).toEqual([]);

    // The re-embedded profile is what the new model makes of the kept audio.
    const ownNow = (await userDoc(user.uid)).speech_profile;
    expect(ownNow).toMatchObject({ model_id: onnx.modelId, sample_count: 1 });
    expect(ownNow.needs_reenrollment).toBeUndefined();
    expect(ownNow.sample_object).toBe(own.sample_object);
    const [kept] = await bucket(config.recordingsBucket).file(ownNow.sample_object).download();
    const direct = await embedVoiceSample({ head: kept.subarray(0, SNIFF_BYTES), chunks: [kept] }, onnx);
    expect(ownNow.embedding).toHaveLength(DIMENSION);
    ownNow.embedding.forEach((v: number, i: number) => expect(v).toBeCloseTo(direct.embedding[i], 5));

    const person = await personDoc(user.uid, personId);
    expect(person.speech_profile).toMatchObject({ model_id: onnx.modelId, sample_count: 1 });
    expect(person.samples).toEqual([
      expect.objectContaining({
        model_id: onnx.modelId,
        object: expect.stringContaining(`/speech_profiles/${personId}/`),
      }),
    ]);
    expect(person.samples[0].embedding).toHaveLength(DIMENSION);
    expect((await personDoc(user.uid, unkept)).speech_profile).toMatchObject({
      model_id: BASELINE,
      needs_reenrollment: true,
    });
    // Nothing left to do for this model.
    expect(await reembedProfiles(user.uid, onnx)).toEqual({ reembedded: [], needsReenrollment: [unkept], pending: [] });

    // The API still runs the baseline: reading the profiles brings them back to it from the same kept audio, and Bob's
    // baseline profile, on its own model again, is usable (its flag cleared).
    const back = await call("/v1/users/speech-profile", user.idToken);
    expect(back.speech_profile).toMatchObject({ model_id: BASELINE, needs_reenrollment: false, sample_count: 1 });
    const byId = new Map(back.people.map((p: { id: string }) => [p.id, p]));
    expect(byId.get(personId)).toMatchObject({ speech_profile: { model_id: BASELINE, needs_reenrollment: false } });
    expect(byId.get(unkept)).toMatchObject({ speech_profile: { model_id: BASELINE, needs_reenrollment: false } });
    expect((await personDoc(user.uid, unkept)).speech_profile.needs_reenrollment).toBeUndefined();
    expect((await userDoc(user.uid)).speech_profile.embedding).toHaveLength(own.embedding.length);
    expect(await call("/v1/users/speech-profile/reembed", user.idToken, "POST")).toMatchObject({
      reembedded: [],
      needs_reenrollment: [],
      pending: [],
    });
  });
});
