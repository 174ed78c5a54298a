/**
 * Speaker-identification trials for the speaker bench, decided by the identify stage's own rule (speaker/matching.ts):
 * - `identificationRates`: each voice of a set held out once as the unenrolled impostor, the others enrolled (one of
 *   them the user, in turn); one trial per piece of test speech. Genuine accept, wrong profile and impostor accept are
 *   counted apart, with why genuine speech was not named (unknown, ambiguous, too_short).
 * - `turnRates`: single turns checked against a profile on their own (matching.ts checkTurn).
 * - `mergedClusterRates`: the user and another voice merged into one cluster by diarization; how much of the other
 *   voice's speech the user gets, before and after the per-turn check.
 * - `calibrate`: the threshold, margin and turn threshold chosen on the calibration background only.
 * Pure: embeddings in, figures out.
 */
import type { VoiceProfile } from "../src/model/speaker.js";
import { judgeFit } from "../src/speaker/clusterFit.js";
import { checkTurn, matchSpeakers, meanEmbedding, type SpeakerEvidence } from "../src/speaker/matching.js";
import { speakerScoring, type SpeakerBackground, type SpeakerScoring } from "../src/speaker/scoring.js";
import { FitMeasureTally, fitMeasures } from "./fitMeasures.js";

/** One stretch of one voice's speech, embedded. */
export type Piece = { voice: string; embedding: Float32Array; seconds: number; samples: Float32Array };

export interface VoiceSet {
  voices: string[];
  /** Enrollment samples, per voice in order (sample k of each voice). */
  enroll: Piece[];
  /** Test evidence: a speaker's pooled speech in a conversation. */
  test: Piece[];
  /** Single turns (for the per-turn check), with the voice's other turns. */
  turns: Piece[];
}

/** Profiles of every voice but `heldOut`; `user` is the user's, the others are people. */
function profilesFor(set: VoiceSet, heldOut: string | null, user: string, samples: number): VoiceProfile[] {
  return set.voices
    .filter((v) => v !== heldOut)
    .map((voice) => ({
      id: voice,
      kind: voice === user ? "user" : "person",
      embedding: meanEmbedding(
        set.enroll
          .filter((e) => e.voice === voice)
          .slice(0, samples)
          .map((e) => e.embedding),
      )!,
    }));
}

/** The voice that is the user while `heldOut` is held out: the next one, so every voice is the user in turn. */
const userWhile = (voices: string[], heldOut: string) => voices[(voices.indexOf(heldOut) + 1) % voices.length];

export interface IdentificationRates {
  genuineAcceptRate: number;
  wrongProfileRate: number;
  impostorAcceptRate: number;
  /** Genuine trials named nobody, by status. */
  genuineRejectedAs: { unknown: number; ambiguous: number; too_short: number };
  /** Trials of the user's own voice named as someone else (the goal: none). */
  userSpeechGivenToOtherProfile: number;
  genuineTrials: number;
  impostorTrials: number;
}

export function identificationRates(set: VoiceSet, scoring: SpeakerScoring, samples: number): IdentificationRates {
  const n = { genuine: 0, correct: 0, wrong: 0, impostor: 0, accepted: 0, userToOther: 0 };
  const rejected = { unknown: 0, ambiguous: 0, too_short: 0 };
  for (const heldOut of set.voices) {
    const user = userWhile(set.voices, heldOut);
    const profiles = profilesFor(set, heldOut, user, samples);
    for (const t of set.test) {
      const speakers = new Map<string, SpeakerEvidence>([["S", { embedding: t.embedding, speechSeconds: t.seconds }]]);
      const d = matchSpeakers(speakers, profiles, scoring).get("S")!;
      if (t.voice === heldOut) {
        n.impostor++;
        if (d.profileId) n.accepted++;
        continue;
      }
      n.genuine++;
      if (d.profileId === t.voice) n.correct++;
      else if (d.profileId) {
        n.wrong++;
        if (t.voice === user) n.userToOther++;
      } else rejected[d.status as keyof typeof rejected]++;
    }
  }
  return {
    genuineAcceptRate: rate(n.correct, n.genuine),
    wrongProfileRate: rate(n.wrong, n.genuine),
    impostorAcceptRate: rate(n.accepted, n.impostor),
    genuineRejectedAs: {
      unknown: rate(rejected.unknown, n.genuine),
      ambiguous: rate(rejected.ambiguous, n.genuine),
      too_short: rate(rejected.too_short, n.genuine),
    },
    userSpeechGivenToOtherProfile: n.userToOther,
    genuineTrials: n.genuine,
    impostorTrials: n.impostor,
  };
}

export interface TurnRates {
  /** A turn of the named voice kept on its own. */
  ownTurnKeptRate: number;
  /** A turn of an unenrolled voice, inside a cluster named as someone else, split off. */
  unenrolledTurnSplitRate: number;
  /** A turn of another enrolled voice, inside a cluster named as someone else, split off. */
  enrolledTurnSplitRate: number;
  turns: number;
}

/** Every turn checked against every voice's profile (one enrollment sample), as if its cluster had been named so. */
export function turnRates(set: VoiceSet, scoring: SpeakerScoring): TurnRates {
  const n = { own: 0, ownKept: 0, unenrolled: 0, unenrolledSplit: 0, enrolled: 0, enrolledSplit: 0 };
  const all = profilesFor(set, null, set.voices[0], 1);
  for (const turn of set.turns) {
    for (const named of set.voices) {
      if (turn.voice === named) {
        n.own++;
        if (checkTurn(turn.embedding, named, all, scoring).keep) n.ownKept++;
        continue;
      }
      n.enrolled++;
      if (!checkTurn(turn.embedding, named, all, scoring).keep) n.enrolledSplit++;
      const withoutTurnVoice = all.filter((p) => p.id !== turn.voice);
      n.unenrolled++;
      if (!checkTurn(turn.embedding, named, withoutTurnVoice, scoring).keep) n.unenrolledSplit++;
    }
  }
  return {
    ownTurnKeptRate: rate(n.ownKept, n.own),
    unenrolledTurnSplitRate: rate(n.unenrolledSplit, n.unenrolled),
    enrolledTurnSplitRate: rate(n.enrolledSplit, n.enrolled),
    turns: set.turns.length,
  };
}

export interface MergedClusterRates {
  /** Cases where the merged cluster was named the user at all (before the fit check, and after it). */
  clusterNamedUserRate: number;
  clusterNamedUserAfterFitCheckRate: number;
  /** The user's turns alone (no other voice): the share of cases the fit check names nobody (what the check costs). */
  userOnlyClusterPoorFitRate: number;
  /** Of the other voice's speech: the share marked as the user's, without the fit and turn checks and with them. */
  otherVoiceSpeechOnUserWithoutChecks: number;
  otherVoiceSpeechOnUser: number;
  /** Of the user's speech in the merged cluster: the share still marked as the user's. */
  userSpeechOnUser: number;
  cases: number;
  /** Other fit measures (fitMeasures.ts) of the user's turns alone (`oneVoice`) and of the merged cluster. */
  fitMeasures: Record<string, unknown>;
}

/**
 * For each ordered pair (user, other) of a set: the user's turns and the other voice's turns (a third of them) pooled
 * as one diarized speaker, the other voice unenrolled; the cluster decided on its pooled speech (`pool` embeds it, as
 * identify does) and each turn checked on its own.
 */
export async function mergedClusterRates(
  set: VoiceSet,
  scoring: SpeakerScoring,
  pool: (turns: Piece[]) => Promise<Float32Array>,
): Promise<MergedClusterRates> {
  const s = {
    named: 0,
    namedAfterFit: 0,
    userOnlyPoor: 0,
    cases: 0,
    otherS: 0,
    otherOnUserBefore: 0,
    otherOnUser: 0,
    userS: 0,
    userOnUser: 0,
  };
  const measures = new FitMeasureTally<"oneVoice" | "merged">();
  for (const user of set.voices) {
    for (const other of set.voices) {
      if (other === user) continue;
      const userTurns = set.turns.filter((t) => t.voice === user);
      const otherTurns = set.turns.filter((t) => t.voice === other).slice(0, Math.ceil(userTurns.length / 2));
      const merged = [...userTurns, ...otherTurns];
      const profiles = profilesFor(set, other, user, 1);
      const seconds = merged.reduce((x, t) => x + t.seconds, 0);
      const evidence = new Map([["S", { embedding: await pool(merged), speechSeconds: seconds }]]);
      const decision = matchSpeakers(evidence, profiles, scoring).get("S")!;
      // The fit check, with each turn as one window (speaker/clusterFit.ts scores windows of about 2 s the same way).
      const profile = profiles.find((p) => p.id === user)!.embedding;
      const windows = (turns: Piece[]) => {
        let start = 0;
        return turns.map(({ seconds, embedding }) => {
          start += seconds;
          return { start: start - seconds, seconds, embedding, score: scoring.score(embedding, profile) };
        });
      };
      const [userWindows, mergedWindows] = [windows(userTurns), windows(merged)];
      measures.add("oneVoice", fitMeasures(userWindows, profile, scoring));
      measures.add("merged", fitMeasures(mergedWindows, profile, scoring));
      const namedUser = decision.status === "user" && !judgeFit(mergedWindows, profile, scoring).poor;
      s.cases++;
      if (decision.status === "user") s.named++;
      if (namedUser) s.namedAfterFit++;
      if (judgeFit(userWindows, profile, scoring).poor) s.userOnlyPoor++;
      for (const t of merged) {
        const kept = namedUser && checkTurn(t.embedding, user, profiles, scoring).keep;
        if (t.voice === user) {
          s.userS += t.seconds;
          if (kept) s.userOnUser += t.seconds;
        } else {
          s.otherS += t.seconds;
          if (decision.status === "user") s.otherOnUserBefore += t.seconds;
          if (kept) s.otherOnUser += t.seconds;
        }
      }
    }
  }
  return {
    clusterNamedUserRate: rate(s.named, s.cases),
    clusterNamedUserAfterFitCheckRate: rate(s.namedAfterFit, s.cases),
    userOnlyClusterPoorFitRate: rate(s.userOnlyPoor, s.cases),
    otherVoiceSpeechOnUserWithoutChecks: rate(s.otherOnUserBefore, s.otherS),
    otherVoiceSpeechOnUser: rate(s.otherOnUser, s.otherS),
    userSpeechOnUser: rate(s.userOnUser, s.userS),
    cases: s.cases,
    fitMeasures: measures.figures(),
  };
}

/** Limits the calibration keeps on its background (the goal, with room for the held-out sets). */
export const CALIBRATION_LIMITS = {
  maxImpostorAcceptRate: 0.05,
  maxWrongProfileRate: 0.01,
  /** The turn threshold keeps at least this share of the named voice's own turns. */
  minOwnTurnKeptRate: 0.95,
};
const THRESHOLDS = Array.from({ length: 19 }, (_, i) => round(0.05 * (i + 1), 2));
const MARGINS = [0, 0.05, 0.1, 0.15, 0.2];
const TURN_THRESHOLDS = Array.from({ length: 21 }, (_, i) => round(-0.2 + 0.05 * i, 2));

/**
 * On the background set only: the threshold and margin with the highest genuine accept whose impostor accept and wrong
 * profile stay within CALIBRATION_LIMITS (ties: the stricter), then the highest turn threshold that keeps
 * minOwnTurnKeptRate of the named voice's own turns.
 */
export function calibrate(background: VoiceSet, measured: SpeakerBackground, minSpeechSeconds: number) {
  const sweep = THRESHOLDS.flatMap((threshold) =>
    MARGINS.map((margin) => ({
      threshold,
      margin,
      ...identificationRates(background, speakerScoring(threshold, measured, { margin, minSpeechSeconds }), 1),
    })),
  );
  const allowed = sweep.filter(
    (r) =>
      r.impostorAcceptRate <= CALIBRATION_LIMITS.maxImpostorAcceptRate &&
      r.wrongProfileRate <= CALIBRATION_LIMITS.maxWrongProfileRate,
  );
  const better = (a: (typeof sweep)[number], b: (typeof sweep)[number]) =>
    a.genuineAcceptRate !== b.genuineAcceptRate
      ? a.genuineAcceptRate > b.genuineAcceptRate
      : a.threshold !== b.threshold
        ? a.threshold > b.threshold
        : a.margin > b.margin;
  const chosen = (allowed.length ? allowed : sweep).reduce((best, r) =>
    allowed.length ? (better(r, best) ? r : best) : r.impostorAcceptRate < best.impostorAcceptRate ? r : best,
  );
  const turnSweep = TURN_THRESHOLDS.map((turnThreshold) => ({
    turnThreshold,
    ...turnRates(
      background,
      speakerScoring(chosen.threshold, measured, { margin: chosen.margin, minSpeechSeconds, turnThreshold }),
    ),
  }));
  const turn =
    turnSweep.filter((r) => r.ownTurnKeptRate >= CALIBRATION_LIMITS.minOwnTurnKeptRate).at(-1) ?? turnSweep[0];
  return {
    rule: {
      threshold: chosen.threshold,
      margin: chosen.margin,
      minSpeechSeconds,
      turnThreshold: Math.min(turn.turnThreshold, chosen.threshold),
    },
    onBackground: { identification: chosen, turns: turn },
    sweep: { identification: sweep, turns: turnSweep },
    limitsMet: allowed.length > 0,
  };
}

export const rate = (part: number, whole: number) => (whole ? round(part / whole, 4) : 0);

export function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
