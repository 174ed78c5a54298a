/**
 * Voice profiles: the user's own (`users/{uid}.speech_profile`) and known people's
 * (`users/{uid}/people/{personId}.speech_profile`), each the mean embedding of enrolled samples from one model.
 * Stored profiles are validated as they are read; a malformed one is left out with a warning rather than failing the
 * user's job.
 */
import { z } from "zod";
import * as logs from "../logs.js";
import type { VoiceProfile } from "../model/speaker.js";
import { meanEmbedding } from "../speaker/matching.js";
import { db } from "./firebase.js";
import { peoplePath, userPath } from "./paths.js";

export const storedSpeechProfileSchema = z.object({
  model_id: z.string(),
  embedding: z.array(z.number()),
  sample_count: z.number().int(),
  speech_seconds: z.number(),
  updated_at: z.string(),
  /**
   * The user's own profile: the kept sample audio it was made from (recordings bucket), null when none was kept.
   * Absent on profiles from before it was recorded (re-embedding then looks for the newest kept sample).
   */
  sample_object: z.string().nullable().optional(),
  /** Speakers of memories the user named as themselves, folded into the profile (`memoryId/label`, newest last). */
  taught_from: z.array(z.string()).optional(),
  /** Set when the profile was made by another model and could not be re-embedded: the app should ask for a sample. */
  needs_reenrollment: z.boolean().optional(),
  reenrollment_reason: z.string().optional(),
});
export type StoredSpeechProfile = z.infer<typeof storedSpeechProfileSchema>;

/** A person's profile is the mean of at most this many most recent samples. */
export const MAX_PERSON_SAMPLES = 10;

/** One of a person's samples (`users/{uid}/people/{personId}.samples[]`); the profile is their mean. */
export const storedPersonSampleSchema = z.object({
  model_id: z.string(),
  embedding: z.array(z.number()),
  speech_seconds: z.number(),
  created_at: z.string(),
  /** The sample's audio in the recordings bucket, kept only when the user allows audio storage. */
  object: z.string().nullable(),
  /** Set when the sample was taught by naming a speaker in a memory (the assign endpoint): which one. */
  memory_id: z.string().optional(),
  speaker: z.string().optional(),
});
export type StoredPersonSample = z.infer<typeof storedPersonSampleSchema>;

/**
 * A person's profile from their samples (all of model `modelId`, at most MAX_PERSON_SAMPLES): the mean embedding, how
 * many samples and how much speech it holds. Null without samples. The enrollment endpoint, the assign endpoint and
 * re-embedding after a model change all store it this way.
 */
export function personProfile(
  samples: Pick<StoredPersonSample, "embedding" | "speech_seconds">[],
  modelId: string,
  now: string,
): StoredSpeechProfile | null {
  const mean = meanEmbedding(samples.map((s) => Float32Array.from(s.embedding)));
  if (!mean) return null;
  return {
    model_id: modelId,
    embedding: Array.from(mean),
    sample_count: samples.length,
    speech_seconds: samples.reduce((n, s) => n + s.speech_seconds, 0),
    updated_at: now,
  };
}

/** Why a profile cannot be used until the user records a new sample. */
export const REENROLLMENT_REASON_MODEL_CHANGED = "model_changed";

function toProfiles(
  id: string,
  kind: VoiceProfile["kind"],
  stored: unknown,
  modelId: string,
  uid: string,
): VoiceProfile[] {
  if (stored === undefined || stored === null) return [];
  const parsed = storedSpeechProfileSchema.safeParse(stored);
  if (!parsed.success) {
    logs.malformedDocumentIgnored(
      { uid },
      `speech_profile of ${kind} ${id}`,
      parsed.error.issues[0]?.message ?? "invalid",
    );
    return [];
  }
  return parsed.data.model_id === modelId ? [{ id, kind, embedding: Float32Array.from(parsed.data.embedding) }] : [];
}

/** Profiles made with `modelId` only: embeddings of different models are not comparable. */
export async function loadVoiceProfiles(uid: string, modelId: string): Promise<VoiceProfile[]> {
  const [user, people] = await Promise.all([db().doc(userPath(uid)).get(), db().collection(peoplePath(uid)).get()]);
  return [
    ...toProfiles("user", "user", user.get("speech_profile"), modelId, uid),
    ...people.docs.flatMap((d) =>
      d.get("deleted") ? [] : toProfiles(d.id, "person", d.get("speech_profile"), modelId, uid),
    ),
  ];
}
