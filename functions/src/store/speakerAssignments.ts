/**
 * Naming a speaker of a memory by hand (the assign endpoint), in one transaction:
 * - every segment of that speaker gets the identity, `speaker_label_source: "manual"`; an automatic label elsewhere in
 *   the memory that named the same identity is withdrawn (speaker/segmentLabels.ts keepManualLabels);
 * - the result is the memory's next transcript version;
 * - the voice is taught: a person gets the speaker's speech as one more sample (the same memory's speaker replaces its
 *   earlier sample instead of adding one), the user's own profile is extended by it (or made from it).
 * Other memories are not touched. Refusals are HttpErrors.
 */
import type { DocumentSnapshot } from "firebase-admin/firestore";
import { HttpError } from "../errors.js";
import type { TranscriptSegment } from "../model/transcript.js";
import { weightedMeanEmbedding } from "../speaker/matching.js";
import { keepManualLabels } from "../speaker/segmentLabels.js";
import { db } from "./firebase.js";
import { memoryPath, personPath, userPath } from "./paths.js";
import {
  MAX_PERSON_SAMPLES,
  personProfile,
  storedPersonSampleSchema,
  storedSpeechProfileSchema,
  type StoredPersonSample,
  type StoredSpeechProfile,
} from "./profiles.js";
import { saveTranscriptVersion } from "./transcriptVersions.js";

export type AssignTarget = { kind: "user" } | { kind: "person"; personId: string };

/** The speaker's speech, embedded by the current model. */
export interface TaughtVoice {
  modelId: string;
  embedding: Float32Array;
  speechSeconds: number;
}

export interface Assignment {
  uid: string;
  memoryId: string;
  label: string;
  target: AssignTarget;
  voice: TaughtVoice;
  /** The transcript version the voice was taken from: a newer one means the segments changed meanwhile. */
  transcriptVersion: number;
  now: Date;
}

export interface AssignmentResult {
  segments: TranscriptSegment[];
  transcriptVersion: number;
  relabelled: number;
  /** The taught profile as stored. */
  profile: StoredSpeechProfile;
  /** The person's document after the change (person targets). */
  person: Record<string, unknown> | null;
  /** Sample audio no longer referenced (dropped past MAX_PERSON_SAMPLES, or a replaced user profile's), to delete. */
  unreferenced: string[];
}

/** How many memories' speakers a user profile remembers having been taught from (to teach each once). */
const MAX_TAUGHT_FROM = 50;

export function assignSpeaker(a: Assignment): Promise<AssignmentResult> {
  const memoryRef = db().doc(memoryPath(a.uid, a.memoryId));
  const ownerRef = db().doc(a.target.kind === "user" ? userPath(a.uid) : personPath(a.uid, a.target.personId));
  return db().runTransaction(async (tx) => {
    const [memory, owner] = await Promise.all([tx.get(memoryRef), tx.get(ownerRef)]);
    if (!memory.exists || memory.get("deleted") === true || memory.get("discarded") === true)
      throw new HttpError(404, "memory_not_found", "No memory with this id belongs to the caller.");
    if (a.target.kind === "person" && (!owner.exists || owner.get("deleted") === true))
      throw new HttpError(404, "person_not_found", "No such person.");
    if (Number(memory.get("transcript_version") ?? 0) !== a.transcriptVersion)
      throw new HttpError(409, "transcript_changed", "The memory's transcript changed meanwhile; try again.");

    const current = (memory.get("transcript_segments") ?? []) as TranscriptSegment[];
    const identity =
      a.target.kind === "user"
        ? { is_user: true, person_id: null, identity_status: "user" as const }
        : { is_user: false, person_id: a.target.personId, identity_status: "person" as const };
    let relabelled = 0;
    const named = current.map((s) => {
      if (s.speaker !== a.label) return s;
      relabelled++;
      return { ...s, ...identity, speaker_label_source: "manual" as const };
    });
    if (!relabelled) throw new HttpError(404, "speaker_not_found", `The memory has no speaker "${a.label}".`);
    const segments = keepManualLabels(named, named);
    const createdAt = a.now.toISOString();
    // Naming a speaker again as what it already is changes nothing: no new version.
    const unchanged = JSON.stringify(segments) === JSON.stringify(current);
    const version = unchanged
      ? a.transcriptVersion
      : saveTranscriptVersion(tx, memory, segments, { source: "manual_assign", jobId: null, createdAt });
    if (!unchanged) tx.update(memoryRef, { transcript_segments: segments, transcript_version: version });

    const taughtKey = `${a.memoryId}/${a.label}`;
    const taught =
      a.target.kind === "user"
        ? teachUser(owner, a.voice, taughtKey, createdAt)
        : teachPerson(owner, a.voice, a.memoryId, a.label, createdAt);
    tx.set(ownerRef, taught.fields, { merge: true });
    return {
      segments,
      transcriptVersion: version,
      relabelled,
      profile: taught.profile,
      person: a.target.kind === "person" ? { ...owner.data(), ...taught.fields } : null,
      unreferenced: taught.unreferenced,
    };
  });
}

/** The user's profile extended by the voice, once per memory speaker; made from it when there is none of this model. */
function teachUser(user: DocumentSnapshot, voice: TaughtVoice, key: string, now: string) {
  const parsed = storedSpeechProfileSchema.safeParse(user.get("speech_profile"));
  const before = parsed.success ? parsed.data : null;
  const sameModel = before?.model_id === voice.modelId && !before.needs_reenrollment;
  let profile: StoredSpeechProfile;
  if (sameModel && before.taught_from?.includes(key)) {
    profile = before;
  } else if (sameModel) {
    const embedding = weightedMeanEmbedding([
      { embedding: Float32Array.from(before.embedding), weight: before.sample_count },
      { embedding: voice.embedding, weight: 1 },
    ])!;
    profile = {
      ...before,
      embedding: Array.from(embedding),
      sample_count: before.sample_count + 1,
      speech_seconds: before.speech_seconds + voice.speechSeconds,
      updated_at: now,
      taught_from: [...(before.taught_from ?? []), key].slice(-MAX_TAUGHT_FROM),
    };
  } else {
    profile = {
      model_id: voice.modelId,
      embedding: Array.from(voice.embedding),
      sample_count: 1,
      speech_seconds: voice.speechSeconds,
      updated_at: now,
      sample_object: null,
      taught_from: [key],
    };
  }
  // A profile of another model is replaced whole: its sample's audio is no longer referenced.
  const unreferenced = !sameModel && before?.sample_object ? [before.sample_object] : [];
  return { fields: { speech_profile: profile }, profile, unreferenced };
}

/** The person's samples with this memory speaker's voice (replacing its earlier sample), and their mean as profile. */
function teachPerson(person: DocumentSnapshot, voice: TaughtVoice, memoryId: string, label: string, now: string) {
  const before = ((person.get("samples") ?? []) as unknown[])
    .map((s) => storedPersonSampleSchema.safeParse(s))
    .flatMap((r) => (r.success ? [r.data] : []));
  const sample: StoredPersonSample = {
    model_id: voice.modelId,
    embedding: Array.from(voice.embedding),
    speech_seconds: voice.speechSeconds,
    created_at: now,
    object: null,
    memory_id: memoryId,
    speaker: label,
  };
  // Samples of another model cannot be averaged with this one's (a model change starts the profile afresh).
  const samples = [
    ...before.filter((s) => s.model_id === voice.modelId && !(s.memory_id === memoryId && s.speaker === label)),
    sample,
  ].slice(-MAX_PERSON_SAMPLES);
  const profile = personProfile(samples, voice.modelId, now)!;
  const held = new Set(samples.map((s) => s.object).filter(Boolean));
  const unreferenced = before.flatMap((s) => (s.object && !held.has(s.object) ? [s.object] : []));
  return { fields: { samples, speech_profile: profile, updated_at: now }, profile, unreferenced };
}
