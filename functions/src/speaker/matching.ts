/**
 * Deciding who each diarized speaker is, against the user's and known people's voice profiles: the rule Omi ships
 * (backend/utils/stt/speaker_match.py), on our calibrated scale. A speaker is named only when
 * - there is at least `minSpeechSeconds` of their speech (else `too_short`);
 * - their nearest profile clears the threshold (else `unknown`);
 * - it beats the runner-up profile by the margin (else `ambiguous`);
 * - no other voice in the recording is about as close to that profile (else `ambiguous` for both: a profile names
 *   at most one speaker, so the user is at most one voice).
 * Then each turn inside a named speaker is checked against the profile on its own (`checkTurn`): a turn that does not
 * match is split off, never the user. Pure.
 */
import type { VoiceProfile } from "../model/speaker.js";
import type { IdentityStatus } from "../model/transcript.js";
import type { SpeakerScoring } from "./scoring.js";

export interface SpeakerEvidence {
  /** The speaker's pooled embedding. */
  embedding: Float32Array;
  /** How much of their speech it was made from. */
  speechSeconds: number;
}

export interface SpeakerDecision {
  status: IdentityStatus;
  /** The profile that names the speaker (status `user` or `person`), else null. */
  profileId: string | null;
  /** The nearest profile and its score, also when it was not accepted (null without comparable profiles). */
  nearest: string | null;
  similarity: number | null;
  /** The runner-up profile's score. */
  runnerUp: number | null;
  speechSeconds: number;
}

type Scored = { profile: VoiceProfile; score: number };

/** Every comparable profile's score (profiles of another dimension are never compared), best first. */
function scoreProfiles(embedding: Float32Array, profiles: VoiceProfile[], scoring: SpeakerScoring): Scored[] {
  return profiles
    .filter((p) => p.embedding.length === embedding.length)
    .map((profile) => ({ profile, score: scoring.score(embedding, profile.embedding) }))
    .sort((a, b) => b.score - a.score);
}

function decisionOf(status: IdentityStatus, scored: Scored[], speechSeconds: number, accepted = false) {
  return {
    status,
    profileId: accepted ? scored[0].profile.id : null,
    nearest: scored[0]?.profile.id ?? null,
    similarity: scored[0]?.score ?? null,
    runnerUp: scored[1]?.score ?? null,
    speechSeconds,
  };
}

export interface MatchOptions {
  /**
   * Profiles held by a manual label in this memory: never given to a speaker automatically (the user already said
   * who that is).
   */
  reserved?: ReadonlySet<string>;
}

export function matchSpeakers(
  speakers: Map<string, SpeakerEvidence>,
  profiles: VoiceProfile[],
  scoring: SpeakerScoring,
  options: MatchOptions = {},
): Map<string, SpeakerDecision> {
  const open = profiles.filter((p) => !options.reserved?.has(p.id));
  const scores = new Map([...speakers].map(([label, e]) => [label, scoreProfiles(e.embedding, open, scoring)]));
  const decisions = new Map<string, SpeakerDecision>();
  const candidates = new Map<string, Scored>();
  for (const [label, evidence] of speakers) {
    const scored = scores.get(label)!;
    const [best, second] = scored;
    const status: IdentityStatus =
      evidence.speechSeconds < scoring.minSpeechSeconds
        ? "too_short"
        : !best || best.score < scoring.threshold
          ? "unknown"
          : second && best.score - second.score < scoring.margin
            ? "ambiguous"
            : best.profile.kind;
    decisions.set(label, decisionOf(status, scored, evidence.speechSeconds));
    if (status === "user" || status === "person") candidates.set(label, best);
  }
  // A profile names one voice, and only when no other evidenced voice is about as close to it (Omi's owner
  // arbitration). Voices confidently matched to a different profile do not compete.
  for (const [label, { profile, score }] of candidates) {
    const toProfile = (other: string) =>
      scores.get(other)!.find((s) => s.profile.id === profile.id)?.score ?? -Infinity;
    const others = [...speakers].filter(([other, e]) => {
      if (other === label || e.speechSeconds < scoring.minSpeechSeconds) return false;
      const theirs = candidates.get(other);
      return !(theirs && theirs.profile.id !== profile.id) && toProfile(other) >= scoring.threshold;
    });
    const rivalScores = others.map(([other]) => toProfile(other));
    // Another voice clearly closer to the profile: this one is not it. One about as close: neither is named.
    const status: IdentityStatus = rivalScores.some((s) => s >= score + scoring.margin)
      ? "unknown"
      : rivalScores.some((s) => s > score - scoring.margin)
        ? "ambiguous"
        : profile.kind;
    const accepted = status === profile.kind;
    decisions.set(label, decisionOf(status, scores.get(label)!, speakers.get(label)!.speechSeconds, accepted));
  }
  return decisions;
}

export type TurnVerdict = { keep: true } | { keep: false; status: "unknown" | "ambiguous" };

/**
 * Whether one turn of a named speaker matches the speaker's profile on its own: it must clear the turn threshold, and
 * no other profile may score higher. A merged cluster (another voice inside the user's) is caught here.
 */
export function checkTurn(
  turn: Float32Array,
  profileId: string,
  profiles: VoiceProfile[],
  scoring: SpeakerScoring,
): TurnVerdict {
  const scored = scoreProfiles(turn, profiles, scoring);
  const own = scored.find((s) => s.profile.id === profileId);
  if (!own || own.score < scoring.turnThreshold) return { keep: false, status: "unknown" };
  if (scored[0].profile.id !== profileId && scored[0].score > own.score) return { keep: false, status: "ambiguous" };
  return { keep: true };
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

/** Mean with weights (e.g. a profile of `n` samples extended by one more). */
export function weightedMeanEmbedding(parts: { embedding: Float32Array; weight: number }[]): Float32Array | null {
  const total = parts.reduce((n, p) => n + p.weight, 0);
  if (!parts.length || total <= 0) return null;
  const mean = new Float32Array(parts[0].embedding.length);
  for (const { embedding, weight } of parts) {
    const norm = Math.hypot(...embedding) || 1;
    for (let i = 0; i < embedding.length; i++) mean[i] = mean[i] + (embedding[i] / norm) * (weight / total);
  }
  return mean;
}
