/**
 * Enrollment, the way the app already calls it:
 * - `POST /v3/upload-audio` (multipart `file`, 5–180 s): the user's own voice profile (replaces the previous one);
 * - `POST /v1/users/people` `{name}` / `PATCH /v1/users/people/{personId}` `{name}`: a known person;
 * - `POST /v1/users/people/{personId}/speech-samples` (multipart `file`): adds a sample to a person's profile.
 * Embeddings are stored, never raw audio unless the user allows audio storage (then in the recordings bucket).
 * And reading them: `GET /v1/users/speech-profile` (the user's profile and their people's) and
 * `POST /v1/users/speech-profile/reembed`; both first bring profiles of another speaker model to the current one
 * (store/profileMigration.ts), and a profile that could not be is shown with `needs_reenrollment: true`.
 */
import type { Request, Response } from "express";
import type { DocumentReference } from "firebase-admin/firestore";
import { z } from "zod";
import { loadConfig } from "../config.js";
import { HttpError } from "../errors.js";
import { speakerEmbedderFor } from "../providers/speakerEmbedder/create.js";
import { bucket, db } from "../store/firebase.js";
import { voiceSampleObjectName } from "../store/objectNames.js";
import { writeNewObject } from "../store/objects.js";
import { isValidDocumentId, peoplePath, personPath, userPath } from "../store/paths.js";
import { reembedProfiles } from "../store/profileMigration.js";
import {
  MAX_PERSON_SAMPLES,
  personProfile,
  REENROLLMENT_REASON_MODEL_CHANGED,
  storedSpeechProfileSchema,
  type StoredPersonSample,
  type StoredSpeechProfile,
} from "../store/profiles.js";
import { grantHolds } from "../store/keepAudio.js";
import { audioStorageGrant, type AudioStorageGrant } from "../store/users.js";
import * as logs from "../logs.js";
import { toJsonValue } from "./json.js";
import { authenticate } from "./auth.js";
import { readVoiceSample, type VoiceSample } from "./voiceSample.js";

/**
 * Re-embedding inside a request starts no further profile after this long (the api function times out at 120 s, and
 * one profile is at most 10 samples of at most 180 s); the rest are taken by the next request.
 */
export const REEMBED_BUDGET_MS = 45_000;

const nameSchema = z.object({ name: z.string().trim().min(1).max(100) });

/** A sample's audio written to the recordings bucket under a grant, to be confirmed where its reference is stored. */
interface WrittenSample {
  name: string;
  grant: AudioStorageGrant;
}

/** Writes the sample's audio if the user allows audio storage now (and says under which grant). */
async function writeSampleAudio(uid: string, owner: string, sample: VoiceSample): Promise<WrittenSample | null> {
  const grant = await audioStorageGrant(uid);
  if (!grant.allowed) return null;
  const name = voiceSampleObjectName(uid, owner, new Date(), sample.format.ext);
  await writeNewObject(bucket(loadConfig().recordingsBucket).file(name), sample.chunks, sample.format.contentType, {
    uid,
    owner,
  });
  return { name, grant };
}

/**
 * After the transaction that stored (or, the grant having been revoked meanwhile, refused) a sample's reference:
 * the refused sample's audio and the audio of samples the profile no longer holds are deleted. Nothing is kept that
 * nothing refers to.
 */
export async function dropUnreferencedSamples(uid: string, names: (string | null | undefined)[]): Promise<void> {
  const recordings = bucket(loadConfig().recordingsBucket);
  await Promise.all(
    [...new Set(names.filter((n): n is string => !!n))].map(async (name) => {
      try {
        await recordings.file(name).delete({ ignoreNotFound: true });
        logs.voiceSampleDeleted({ uid }, name);
      } catch (err) {
        logs.recordingDeleteFailed({ uid }, name, err);
      }
    }),
  );
}

/** The user's own profile: their one sample (people's profiles are the mean of theirs, store/profiles.ts). */
function ownProfileOf(sample: VoiceSample): StoredSpeechProfile {
  return {
    model_id: sample.modelId,
    embedding: Array.from(sample.embedding),
    sample_count: 1,
    speech_seconds: sample.speechSeconds,
    updated_at: new Date().toISOString(),
  };
}

/**
 * A profile as the app sees it. `needs_reenrollment` (with `reenrollment_reason`): the profile was made by another
 * speaker model than the current one (`currentModelId`), so identification ignores it until the user records a new
 * sample. Where the current model is not loaded (a rename), the flag stored by re-embedding is shown.
 */
export function profileView(p: StoredSpeechProfile | undefined, currentModelId?: string) {
  if (!p) return null;
  const stale = currentModelId === undefined ? p.needs_reenrollment === true : p.model_id !== currentModelId;
  return {
    model_id: p.model_id,
    sample_count: p.sample_count,
    speech_seconds: Number(p.speech_seconds.toFixed(2)),
    updated_at: p.updated_at,
    needs_reenrollment: stale,
    reenrollment_reason: stale ? (p.reenrollment_reason ?? REENROLLMENT_REASON_MODEL_CHANGED) : null,
  };
}

/** A stored profile that does not validate is shown as none, as `loadVoiceProfiles` leaves it out of matching. */
function storedProfile(value: unknown): StoredSpeechProfile | undefined {
  const parsed = storedSpeechProfileSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function personView(id: string, data: Record<string, unknown>, currentModelId?: string) {
  return toJsonValue({
    id,
    name: data.name,
    created_at: data.created_at,
    updated_at: data.updated_at,
    speech_samples_count: Array.isArray(data.samples) ? data.samples.length : 0,
    speech_profile: profileView(storedProfile(data.speech_profile), currentModelId),
  });
}

/** The user's own profile and their (non-deleted) people, as the app sees them. */
async function profilesOf(uid: string, currentModelId: string) {
  const [user, people] = await Promise.all([db().doc(userPath(uid)).get(), db().collection(peoplePath(uid)).get()]);
  return {
    speech_profile: profileView(storedProfile(user.get("speech_profile")), currentModelId),
    people: people.docs.filter((d) => !d.get("deleted")).map((d) => personView(d.id, d.data(), currentModelId)),
  };
}

function personIdParam(req: Request): string {
  const id = String(req.params.personId ?? "");
  if (!isValidDocumentId(id)) throw new HttpError(400, "invalid_argument", "The person id is not valid.");
  return id;
}

export async function uploadOwnVoice(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  const config = loadConfig();
  const embedder = await speakerEmbedderFor(config);
  const sample = await readVoiceSample(req, embedder);
  const written = await writeSampleAudio(uid, "self", sample);
  const userRef = db().doc(userPath(uid));
  const { profile, replaced } = await db().runTransaction(async (tx) => {
    const user = await tx.get(userRef);
    // Kept only if storage is still allowed under the grant it was written with (a revocation meanwhile wins).
    const object = written && grantHolds(written.grant, user) ? written.name : null;
    const stored = { ...ownProfileOf(sample), sample_object: object };
    // The whole field is replaced (a merge would keep a stale `needs_reenrollment`); the rest of the doc is kept.
    tx.set(userRef, { speech_profile: stored }, { mergeFields: ["speech_profile"] });
    return { profile: stored, replaced: (user.get("speech_profile.sample_object") as string | null) ?? null };
  });
  // The previous sample's audio (replaced), and this one's if it was refused.
  await dropUnreferencedSamples(uid, [replaced, written && !profile.sample_object ? written.name : null]);
  res.status(200).json({
    url: profile.sample_object ? `gs://${config.recordingsBucket}/${profile.sample_object}` : null,
    speech_profile: profileView(profile, embedder.modelId),
  });
}

/** `GET /v1/users/speech-profile`: the user's profile and people's, brought to the current model where possible. */
export async function getSpeechProfiles(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  const embedder = await speakerEmbedderFor(loadConfig());
  await reembedProfiles(uid, embedder, { budgetMs: REEMBED_BUDGET_MS });
  res.status(200).json(await profilesOf(uid, embedder.modelId));
}

/**
 * `POST /v1/users/speech-profile/reembed`: re-embeds profiles of another model from kept samples now, and says which
 * were (`reembedded`), which need the user to record a sample (`needs_reenrollment`), and which are left for another
 * call (`pending`), beside the profiles themselves.
 */
export async function reembedSpeechProfiles(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  const embedder = await speakerEmbedderFor(loadConfig());
  const result = await reembedProfiles(uid, embedder, { budgetMs: REEMBED_BUDGET_MS });
  res.status(200).json({
    reembedded: result.reembedded,
    needs_reenrollment: result.needsReenrollment,
    pending: result.pending,
    ...(await profilesOf(uid, embedder.modelId)),
  });
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
  const embedder = await speakerEmbedderFor(config);
  const sample = await readVoiceSample(req, embedder);
  const written = await writeSampleAudio(uid, personId, sample);
  const added = await addSample(uid, ref, sample, written).catch(async (err: unknown) => {
    // The person went away while the sample was read: its audio is not kept either.
    await dropUnreferencedSamples(uid, [written?.name]);
    throw err;
  });
  await dropUnreferencedSamples(uid, added.dropped);
  res.status(200).json(personView(personId, added.data, embedder.modelId));
}

/**
 * Adds the sample to the person's profile in one transaction with the user's storage grant: its audio is referenced
 * only if the grant still holds. Returns the person as stored and the audio of samples no longer held (dropped past
 * MAX_PERSON_SAMPLES, from another model, or this one refused), for deletion.
 */
function addSample(uid: string, ref: DocumentReference, sample: VoiceSample, written: WrittenSample | null) {
  const userRef = db().doc(userPath(uid));
  return db().runTransaction(async (tx) => {
    const [snap, user] = await Promise.all([tx.get(ref), tx.get(userRef)]);
    if (!snap.exists) throw new HttpError(404, "person_not_found", "No such person.");
    const object = written && grantHolds(written.grant, user) ? written.name : null;
    const now = new Date().toISOString();
    const before = (snap.get("samples") ?? []) as StoredPersonSample[];
    // Samples from another model cannot be averaged with this one's; a model change starts the profile afresh.
    const samples = [
      ...before.filter((s) => s.model_id === sample.modelId),
      {
        model_id: sample.modelId,
        embedding: Array.from(sample.embedding),
        speech_seconds: sample.speechSeconds,
        created_at: now,
        object,
      },
    ].slice(-MAX_PERSON_SAMPLES);
    const update = { samples, speech_profile: personProfile(samples, sample.modelId, now)!, updated_at: now };
    tx.update(ref, update);
    const held = new Set(samples.map((s) => s.object).filter(Boolean));
    const dropped = [...before.map((s) => s.object), written?.name].filter((n) => n && !held.has(n));
    return { data: { ...snap.data(), ...update }, dropped };
  });
}
