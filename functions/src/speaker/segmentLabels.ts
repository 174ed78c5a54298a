/**
 * From speaker decisions (matching.ts) to labelled transcript segments, and the rule that manual labels win:
 * - `turnsToCheck`: which turns of named speakers are embedded on their own;
 * - `labelSegments`: `is_user` / `person_id` / `identity_status` per segment, a turn that failed its check split off
 *   under a new speaker label (never the user);
 * - `keepManualLabels`: a segment the user labelled by hand keeps that label through any re-run, and a profile the
 *   user placed by hand is not also given to another speaker automatically.
 * Pure.
 */
import type { SampleRange } from "../audio/wavRanges.js";
import type { IdentityStatus, TranscriptSegment } from "../model/transcript.js";
import type { SpeakerDecision, TurnVerdict } from "./matching.js";

/** Shorter turns say too little on their own to overrule their speaker; they follow the speaker's decision. */
export const MIN_TURN_CHECK_S = 1.5;
/** A longer turn is checked on its middle this long (as Omi crops its clips). */
export const MAX_TURN_CHECK_S = 10;

/** The profile id of the user's own voice (store/profiles.ts). */
export const USER_PROFILE_ID = "user";

const isNamed = (d: SpeakerDecision | undefined) => d?.status === "user" || d?.status === "person";

/** Turns (by segment index) of named speakers long enough to check, each cut to its middle MAX_TURN_CHECK_S. */
export function turnsToCheck(
  segments: TranscriptSegment[],
  decisions: Map<string, SpeakerDecision>,
): SampleRange<number>[] {
  return segments.flatMap((s, index) => {
    const length = s.end - s.start;
    if (!isNamed(decisions.get(s.speaker)) || length < MIN_TURN_CHECK_S) return [];
    const cut = Math.max(0, (length - MAX_TURN_CHECK_S) / 2);
    return [{ key: index, start: s.start + cut, end: s.end - cut }];
  });
}

/** What the segment says about who spoke, as identify decides it. */
function identity(status: IdentityStatus, profileId: string | null) {
  return {
    is_user: status === "user",
    person_id: status === "person" ? profileId : null,
    identity_status: status,
    speaker_label_source: "auto" as const,
  };
}

export function labelSegments(
  segments: TranscriptSegment[],
  decisions: Map<string, SpeakerDecision>,
  verdicts: Map<number, TurnVerdict>,
): TranscriptSegment[] {
  // Turns split off a speaker get one new label per speaker they left (they are likely one other voice).
  let nextId = Math.max(-1, ...segments.map((s) => s.speaker_id)) + 1;
  const splitLabels = new Map<string, { speaker: string; speaker_id: number }>();
  const splitLabel = (speaker: string) => {
    let label = splitLabels.get(speaker);
    if (!label) {
      label = { speaker: `SPEAKER_${String(nextId).padStart(2, "0")}`, speaker_id: nextId++ };
      splitLabels.set(speaker, label);
    }
    return label;
  };
  return segments.map((s, index) => {
    const decision = decisions.get(s.speaker);
    // A speaker without a decision had no segment long enough to embed.
    if (!decision) return { ...s, ...identity("too_short", null) };
    const verdict = verdicts.get(index);
    if (isNamed(decision) && verdict && !verdict.keep)
      return { ...s, ...splitLabel(s.speaker), ...identity(verdict.status, null) };
    return { ...s, ...identity(decision.status, decision.profileId) };
  });
}

/** The identities (USER_PROFILE_ID or a person's id) that manual labels in these segments hold. */
export function manualIdentities(segments: Partial<TranscriptSegment>[]): Set<string> {
  const held = new Set<string>();
  for (const s of segments) {
    if (s.speaker_label_source !== "manual") continue;
    if (s.is_user) held.add(USER_PROFILE_ID);
    else if (s.person_id) held.add(s.person_id);
  }
  return held;
}

/** Overlap of two time spans, in seconds. */
const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));

/**
 * The new segments with the current transcript's manual labels carried over: a new segment takes the manual label of
 * the current segment it overlaps most, when that covers at least half of it (a re-run may re-cut the segments).
 * An automatic label that names an identity the user placed by hand elsewhere is cleared to `ambiguous`.
 */
export function keepManualLabels(
  next: TranscriptSegment[],
  current: Partial<TranscriptSegment>[],
): TranscriptSegment[] {
  const manual = current.filter(
    (s): s is TranscriptSegment =>
      s.speaker_label_source === "manual" && Number.isFinite(s.start) && Number.isFinite(s.end),
  );
  if (!manual.length) return next;
  const held = manualIdentities(manual);
  return next.map((s) => {
    const length = Math.max(s.end - s.start, 1e-6);
    let best: TranscriptSegment | null = null;
    let most = 0;
    for (const m of manual) {
      const shared = overlap(s, m);
      if (shared > most) [best, most] = [m, shared];
    }
    if (best && (most >= length / 2 || (s.start === best.start && s.end === best.end))) {
      return {
        ...s,
        is_user: best.is_user,
        person_id: best.person_id,
        identity_status: best.identity_status ?? (best.is_user ? "user" : best.person_id ? "person" : "unknown"),
        speaker_label_source: "manual",
      };
    }
    const id = s.is_user ? USER_PROFILE_ID : s.person_id;
    if (id && held.has(id)) return { ...s, is_user: false, person_id: null, identity_status: "ambiguous" };
    return s;
  });
}
