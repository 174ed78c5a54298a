/**
 * Voice profiles made by another speaker model, brought to the current one. Embeddings of different models are never
 * compared (profiles.ts), so after a model change every profile stops matching. Where the user allows audio storage
 * and a profile's sample audio was kept (recordings bucket), the profile is re-embedded from that audio with the
 * current model; otherwise it is flagged `needs_reenrollment` with a `reenrollment_reason`, which the app can read
 * (the user doc and people are readable by their owner) and show as "record your voice again".
 */
import { FieldValue, type DocumentReference } from "firebase-admin/firestore";
import { SNIFF_BYTES } from "../audio/sniff.js";
import { loadConfig } from "../config.js";
import { HttpError } from "../errors.js";
import * as logs from "../logs.js";
import type { SpeakerEmbedder } from "../model/speaker.js";
import { embedVoiceSample, type EmbeddedVoiceSample } from "../speaker/voiceSample.js";
import { bucket, db } from "./firebase.js";
import { voiceSamplePrefix } from "./objectNames.js";
import { peoplePath, userPath } from "./paths.js";
import {
  personProfile,
  REENROLLMENT_REASON_MODEL_CHANGED,
  storedPersonSampleSchema,
  storedSpeechProfileSchema,
  type StoredPersonSample,
  type StoredSpeechProfile,
} from "./profiles.js";
import { allowsAudioStorage } from "./users.js";

export interface ReembedResult {
  /** Profiles ("user", or a person's id) now made by the current model from their kept samples. */
  reembedded: string[];
  /** Profiles of another model without a usable kept sample, flagged `needs_reenrollment`. */
  needsReenrollment: string[];
  /** Profiles of another model not looked at because the time budget ran out (a later call takes them). */
  pending: string[];
}

export interface ReembedOptions {
  /** Where kept samples are; RECORDINGS_BUCKET by default. */
  recordingsBucket?: string;
  /** No further profile is started once this many milliseconds have passed (a request must answer in time). */
  budgetMs?: number;
}

interface ProfileDoc {
  id: string;
  ref: DocumentReference;
  profile: StoredSpeechProfile;
  /** A person's samples; undefined for the user's own profile (one sample, `sample_object`). */
  samples?: StoredPersonSample[];
}

type Outcome = "reembedded" | "needs_reenrollment" | "changed_meanwhile";

/**
 * Re-embeds the user's and their people's profiles that another model made, from kept sample audio, with
 * `embedder`; flags the ones that cannot be. Profiles already flagged are left as they are (their audio was looked at
 * before), and a flagged profile of the current model (a model change rolled back) is unflagged. Each write is a
 * transaction that first checks the profile is still the one read, so an enrollment that lands meanwhile is never
 * overwritten. Transient failures (Storage, Firestore) reject; nothing is flagged for them.
 *
 * Called by the speech-profile endpoints; the identify stage may call it before loading profiles, too.
 */
export async function reembedProfiles(
  uid: string,
  embedder: SpeakerEmbedder,
  options: ReembedOptions = {},
): Promise<ReembedResult> {
  const started = Date.now();
  const recordingsBucket = options.recordingsBucket ?? loadConfig().recordingsBucket;
  const result: ReembedResult = { reembedded: [], needsReenrollment: [], pending: [] };
  let audioAllowed: boolean | undefined;
  for (const entry of await storedProfiles(uid)) {
    if (entry.profile.model_id === embedder.modelId) {
      // Back on the model that made it (a rolled-back model change): the profile is usable again.
      if (entry.profile.needs_reenrollment)
        await ifUnchanged(entry, {
          "speech_profile.needs_reenrollment": FieldValue.delete(),
          "speech_profile.reenrollment_reason": FieldValue.delete(),
        });
      continue;
    }
    if (entry.profile.needs_reenrollment) {
      result.needsReenrollment.push(entry.id);
      continue;
    }
    if (options.budgetMs !== undefined && Date.now() - started > options.budgetMs) {
      result.pending.push(entry.id);
      continue;
    }
    // Kept audio is used only while the user still allows audio storage.
    audioAllowed ??= await allowsAudioStorage(uid);
    const outcome = await reembedOne(uid, entry, embedder, audioAllowed ? recordingsBucket : null);
    if (outcome === "reembedded") result.reembedded.push(entry.id);
    if (outcome === "needs_reenrollment") result.needsReenrollment.push(entry.id);
  }
  return result;
}

/** The valid profiles: the user's, then their non-deleted people's. */
async function storedProfiles(uid: string): Promise<ProfileDoc[]> {
  const [user, people] = await Promise.all([db().doc(userPath(uid)).get(), db().collection(peoplePath(uid)).get()]);
  const found: ProfileDoc[] = [];
  const userProfile = storedSpeechProfileSchema.safeParse(user.get("speech_profile"));
  if (userProfile.success) found.push({ id: "user", ref: user.ref, profile: userProfile.data });
  for (const person of people.docs) {
    const profile = storedSpeechProfileSchema.safeParse(person.get("speech_profile"));
    if (person.get("deleted") || !profile.success) continue;
    const samples = Array.isArray(person.get("samples")) ? (person.get("samples") as unknown[]) : [];
    found.push({
      id: person.id,
      ref: person.ref,
      profile: profile.data,
      samples: samples.flatMap((s) => {
        const parsed = storedPersonSampleSchema.safeParse(s);
        return parsed.success ? [parsed.data] : [];
      }),
    });
  }
  return found;
}

async function reembedOne(
  uid: string,
  stale: ProfileDoc,
  embedder: SpeakerEmbedder,
  recordingsBucket: string | null,
): Promise<Outcome> {
  const log = { profile: stale.id, fromModel: stale.profile.model_id, toModel: embedder.modelId };
  const flag = (why: string) => {
    logs.speakerProfileNeedsReenrollment({ uid }, { ...log, why });
    return ifUnchanged(stale, {
      "speech_profile.needs_reenrollment": true,
      "speech_profile.reenrollment_reason": REENROLLMENT_REASON_MODEL_CHANGED,
    }).then((written) => (written ? "needs_reenrollment" : "changed_meanwhile"));
  };
  if (!recordingsBucket) return flag("audio storage not allowed");

  const now = new Date().toISOString();
  if (!stale.samples) {
    const object = await ownSampleObject(uid, stale.profile, recordingsBucket);
    const sample = object && (await embedKeptSample(recordingsBucket, object, embedder));
    if (!sample) return flag(object ? "kept sample missing or unusable" : "no kept sample");
    const profile: StoredSpeechProfile = {
      model_id: sample.modelId,
      embedding: Array.from(sample.embedding),
      sample_count: 1,
      speech_seconds: sample.speechSeconds,
      updated_at: now,
      sample_object: object,
    };
    return reembedded(await ifUnchanged(stale, { speech_profile: profile }));
  }

  const samples: StoredPersonSample[] = [];
  for (const kept of stale.samples) {
    const sample = kept.object && (await embedKeptSample(recordingsBucket, kept.object, embedder));
    if (sample)
      samples.push({
        ...kept,
        model_id: sample.modelId,
        embedding: Array.from(sample.embedding),
        speech_seconds: sample.speechSeconds,
      });
  }
  const profile = personProfile(samples, embedder.modelId, now);
  if (!profile)
    return flag(stale.samples.some((s) => s.object) ? "kept samples missing or unusable" : "no kept sample");
  return reembedded(await ifUnchanged(stale, { samples, speech_profile: profile }));

  function reembedded(written: boolean): Outcome {
    if (written) logs.speakerProfileReembedded({ uid }, log);
    return written ? "reembedded" : "changed_meanwhile";
  }
}

/**
 * The kept sample the user's own profile was made from: `sample_object` when recorded (null: none was kept), else,
 * for profiles from before it was recorded, the newest sample kept for `self` (enrolling replaces the profile).
 */
async function ownSampleObject(
  uid: string,
  profile: StoredSpeechProfile,
  recordingsBucket: string,
): Promise<string | null> {
  if (profile.sample_object !== undefined) return profile.sample_object;
  const [files] = await bucket(recordingsBucket).getFiles({ prefix: voiceSamplePrefix(uid, "self") });
  const takenAt = (name: string) => Number(/\/(\d+)\.[^/]+$/.exec(name)?.[1] ?? -1);
  return files.map((f) => f.name).sort((a, b) => takenAt(b) - takenAt(a))[0] ?? null;
}

/** A kept sample embedded like an upload; null when the object is gone or the audio is refused (too short, …). */
async function embedKeptSample(
  recordingsBucket: string,
  object: string,
  embedder: SpeakerEmbedder,
): Promise<EmbeddedVoiceSample | null> {
  let bytes: Buffer;
  try {
    [bytes] = await bucket(recordingsBucket).file(object).download();
  } catch (error) {
    if ((error as { code?: unknown }).code === 404) return null;
    throw error;
  }
  try {
    return await embedVoiceSample({ head: bytes.subarray(0, SNIFF_BYTES), chunks: [bytes] }, embedder);
  } catch (error) {
    if (error instanceof HttpError) return null;
    throw error;
  }
}

/** Applies `update` only if the profile is still the one `stale` read (same model, same `updated_at`). */
function ifUnchanged(stale: ProfileDoc, update: Record<string, unknown>): Promise<boolean> {
  return db().runTransaction(async (tx) => {
    const current = storedSpeechProfileSchema.safeParse((await tx.get(stale.ref)).get("speech_profile"));
    const same =
      current.success &&
      current.data.model_id === stale.profile.model_id &&
      current.data.updated_at === stale.profile.updated_at;
    if (same) tx.update(stale.ref, update);
    return same;
  });
}
