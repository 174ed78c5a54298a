/**
 * Voice profiles: the user's own (`users/{uid}.speech_profile`) and known people's
 * (`users/{uid}/people/{personId}.speech_profile`), each the mean embedding of enrolled samples from one model.
 */
import { db } from "../firebase.js";
import type { VoiceProfile } from "../speaker/matching.js";
import { userPath } from "./paths.js";

export interface StoredSpeechProfile {
  model_id: string;
  embedding: number[];
  sample_count: number;
  speech_seconds: number;
  updated_at: string;
}

const toProfile = (id: string, kind: VoiceProfile["kind"], p: StoredSpeechProfile | undefined, modelId: string): VoiceProfile[] =>
  p && p.model_id === modelId && Array.isArray(p.embedding) ? [{ id, kind, embedding: Float32Array.from(p.embedding) }] : [];

/** Profiles made with `modelId` only: embeddings of different models are not comparable. */
export async function loadVoiceProfiles(uid: string, modelId: string): Promise<VoiceProfile[]> {
  const [user, people] = await Promise.all([db().doc(userPath(uid)).get(), db().collection(`${userPath(uid)}/people`).get()]);
  return [
    ...toProfile("user", "user", user.get("speech_profile"), modelId),
    ...people.docs.flatMap((d) => (d.get("deleted") ? [] : toProfile(d.id, "person", d.get("speech_profile"), modelId))),
  ];
}
