/**
 * Enrollment, the way the app already calls it:
 * - `POST /v3/upload-audio` (multipart `file`, 5–180 s): the user's own voice profile (replaces the previous one);
 * - `POST /v1/users/people` `{name}` / `PATCH /v1/users/people/{personId}` `{name}`: a known person;
 * - `POST /v1/users/people/{personId}/speech-samples` (multipart `file`): adds a sample to a person's profile.
 * Embeddings are stored, never raw audio unless the user allows audio storage (then in the recordings bucket).
 */
import type { Request, Response } from "express";
import type { DocumentReference } from "firebase-admin/firestore";
import { z } from "zod";
import { loadConfig } from "../config.js";
import { HttpError } from "../errors.js";
import { createSpeakerEmbedder } from "../providers/speakerEmbedder/create.js";
import { meanEmbedding } from "../speaker/matching.js";
import { bucket, db } from "../store/firebase.js";
import { voiceSampleObjectName } from "../store/objectNames.js";
import { writeNewObject } from "../store/objects.js";
import { isValidDocumentId, peoplePath, personPath, userPath } from "../store/paths.js";
import { storedSpeechProfileSchema, type StoredSpeechProfile } from "../store/profiles.js";
import { allowsAudioStorage } from "../store/users.js";
import { toJsonValue } from "./json.js";
import { authenticate } from "./auth.js";
import { readVoiceSample, type VoiceSample } from "./voiceSample.js";

/** A person's profile is the mean of at most this many most recent samples. */
export const MAX_PERSON_SAMPLES = 10;

const nameSchema = z.object({ name: z.string().trim().min(1).max(100) });

async function keepSampleAudio(uid: string, owner: string, sample: VoiceSample): Promise<string | null> {
  if (!(await allowsAudioStorage(uid))) return null;
  const name = voiceSampleObjectName(uid, owner, new Date(), sample.format.ext);
  await writeNewObject(bucket(loadConfig().recordingsBucket).file(name), sample.chunks, sample.format.contentType, {
    uid,
    owner,
  });
  return name;
}

function profileOf(
  sample: VoiceSample,
  embedding: Float32Array,
  sampleCount: number,
  speechSeconds: number,
): StoredSpeechProfile {
  return {
    model_id: sample.modelId,
    embedding: Array.from(embedding),
    sample_count: sampleCount,
    speech_seconds: speechSeconds,
    updated_at: new Date().toISOString(),
  };
}

const profileView = (p: StoredSpeechProfile | undefined) =>
  p
    ? {
        model_id: p.model_id,
        sample_count: p.sample_count,
        speech_seconds: Number(p.speech_seconds.toFixed(2)),
        updated_at: p.updated_at,
      }
    : null;

/** A stored profile that does not validate is shown as none, as `loadVoiceProfiles` leaves it out of matching. */
function storedProfile(value: unknown): StoredSpeechProfile | undefined {
  const parsed = storedSpeechProfileSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function personView(id: string, data: Record<string, unknown>) {
  return toJsonValue({
    id,
    name: data.name,
    created_at: data.created_at,
    updated_at: data.updated_at,
    speech_samples_count: Array.isArray(data.samples) ? data.samples.length : 0,
    speech_profile: profileView(storedProfile(data.speech_profile)),
  });
}

function personIdParam(req: Request): string {
  const id = String(req.params.personId ?? "");
  if (!isValidDocumentId(id)) throw new HttpError(400, "invalid_argument", "The person id is not valid.");
  return id;
}

export async function uploadOwnVoice(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  const config = loadConfig();
  const embedder = await createSpeakerEmbedder(config.speakerModelPath, config.speakerModelThreads);
  const sample = await readVoiceSample(req, embedder);
  const object = await keepSampleAudio(uid, "self", sample);
  const profile = profileOf(sample, sample.embedding, 1, sample.speechSeconds);
  await db().doc(userPath(uid)).set({ speech_profile: profile }, { merge: true });
  res
    .status(200)
    .json({ url: object ? `gs://${config.recordingsBucket}/${object}` : null, speech_profile: profileView(profile) });
}

export async function createPerson(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  const body = nameSchema.safeParse(req.body);
  if (!body.success)
    throw new HttpError(400, "invalid_argument", "Send JSON {name} with a non-empty name (at most 100 characters).");
  const ref = db().collection(peoplePath(uid)).doc();
  const now = new Date().toISOString();
  const data = { name: body.data.name, created_at: now, updated_at: now, samples: [] };
  await ref.set(data);
  res.status(200).json(personView(ref.id, data));
}

export async function renamePerson(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  const personId = personIdParam(req);
  const body = nameSchema.safeParse(req.body);
  if (!body.success)
    throw new HttpError(400, "invalid_argument", "Send JSON {name} with a non-empty name (at most 100 characters).");
  const ref = db().doc(personPath(uid, personId));
  const data = await db().runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    if (!snap.exists) throw new HttpError(404, "person_not_found", "No such person.");
    const update = { name: body.data.name, updated_at: new Date().toISOString() };
    tx.update(ref, update);
    return { ...snap.data(), ...update };
  });
  res.status(200).json(personView(personId, data));
}

export async function addPersonSample(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  const personId = personIdParam(req);
  const ref = db().doc(personPath(uid, personId));
  if (!(await ref.get()).exists) throw new HttpError(404, "person_not_found", "No such person.");
  const config = loadConfig();
  const embedder = await createSpeakerEmbedder(config.speakerModelPath, config.speakerModelThreads);
  const sample = await readVoiceSample(req, embedder);
  const object = await keepSampleAudio(uid, personId, sample);
  const data = await addSample(ref, sample, object).catch(async (err: unknown) => {
    // The person went away while the sample was read: its audio is not kept either.
    if (object) await bucket(config.recordingsBucket).file(object).delete({ ignoreNotFound: true });
    throw err;
  });
  res.status(200).json(personView(personId, data));
}

function addSample(ref: DocumentReference, sample: VoiceSample, object: string | null) {
  return db().runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    if (!snap.exists) throw new HttpError(404, "person_not_found", "No such person.");
    type StoredSample = {
      model_id: string;
      embedding: number[];
      speech_seconds: number;
      created_at: string;
      object: string | null;
    };
    const now = new Date().toISOString();
    // Samples from another model cannot be averaged with this one's; a model change starts the profile afresh.
    const samples = [
      ...((snap.get("samples") ?? []) as StoredSample[]).filter((s) => s.model_id === sample.modelId),
      {
        model_id: sample.modelId,
        embedding: Array.from(sample.embedding),
        speech_seconds: sample.speechSeconds,
        created_at: now,
        object,
      },
    ].slice(-MAX_PERSON_SAMPLES);
    const mean = meanEmbedding(samples.map((s) => Float32Array.from(s.embedding)))!;
    const speech = samples.reduce((n, s) => n + s.speech_seconds, 0);
    const update = { samples, speech_profile: profileOf(sample, mean, samples.length, speech), updated_at: now };
    tx.update(ref, update);
    return { ...snap.data(), ...update };
  });
}
