/**
 * Matching diarized speakers against enrolled voice profiles (the user's own and known people's). Each speaker goes
 * to its most similar profile (scored as the model's calibration says, scoring.ts) only above the threshold; a
 * profile is given to at most one speaker (so at most one speaker is the user), most similar pairs first. Everything
 * else stays unknown. Pure.
 */
import type { VoiceProfile } from "../model/speaker.js";
import { speakerScoring, type SpeakerScoring } from "./scoring.js";

export interface SpeakerMatch {
  profileId: string;
  kind: "user" | "person";
  similarity: number;
}

export function matchSpeakers(
  speakers: Map<string, Float32Array>,
  profiles: VoiceProfile[],
  /** How to score and the threshold (scoring.ts); a bare number is a threshold on the plain cosine. */
  scoring: SpeakerScoring | number,
): Map<string, SpeakerMatch | null> {
  const { threshold, score } = typeof scoring === "number" ? speakerScoring(scoring) : scoring;
  const pairs: { speaker: string; profile: VoiceProfile; similarity: number }[] = [];
  for (const [speaker, embedding] of speakers) {
    for (const profile of profiles) {
      if (profile.embedding.length !== embedding.length) continue;
      const similarity = score(embedding, profile.embedding);
      if (similarity >= threshold) pairs.push({ speaker, profile, similarity });
    }
  }
  pairs.sort((a, b) => b.similarity - a.similarity);
  const result = new Map<string, SpeakerMatch | null>([...speakers.keys()].map((s) => [s, null]));
  const usedProfiles = new Set<string>();
  for (const { speaker, profile, similarity } of pairs) {
    if (result.get(speaker) || usedProfiles.has(profile.id)) continue;
    result.set(speaker, { profileId: profile.id, kind: profile.kind, similarity });
    usedProfiles.add(profile.id);
  }
  return result;
}

/** Mean of L2-normalised embeddings: a profile from several samples, or a speaker from several segments. */
export function meanEmbedding(embeddings: Float32Array[]): Float32Array | null {
  if (!embeddings.length) return null;
  const mean = new Float32Array(embeddings[0].length);
  for (const e of embeddings) {
    const norm = Math.hypot(...e) || 1;
    for (let i = 0; i < e.length; i++) mean[i] = mean[i] + e[i] / norm / embeddings.length;
  }
  return mean;
}
