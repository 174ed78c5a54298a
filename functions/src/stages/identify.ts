/**
 * Stage `identify`: name who spoke. Per diarized speaker, its segments of at least 0.5 s are pooled and embedded and
 * decided against the user's and known people's voice profiles by speaker/matching.ts (threshold, margin over the
 * runner-up, minimum speech, one voice per profile). A named speaker whose speech, in short windows, does not fit its
 * profile evenly is named nobody (speaker/clusterFit.ts: two voices merged by diarization). Each turn of a named
 * speaker is then checked on its own, and a turn that does not match is split off under a new label (a merged
 * cluster never makes another voice the user).
 * Segments carry `identity_status` and `speaker_label_source`. Then, in one transaction with the job state: manual
 * labels in the memory's current transcript are kept, the previous transcript is kept as a version, the new one saved,
 * and the next stages queued. Matches are never folded back into profiles (only a manual assign teaches a voice).
 */
import type { Readable } from "node:stream";
import { concatSamples } from "../audio/pcm.js";
import { forEachWavRange, readWavRanges, type SampleRange } from "../audio/wavRanges.js";
import { permanent } from "../errors.js";
import type { JobMessage, JobRef } from "../model/job.js";
import type { SpeakerEmbedder, VoiceProfile } from "../model/speaker.js";
import type { TranscriptSegment } from "../model/transcript.js";
import { runStage, type StageDeps } from "../pipeline/runStage.js";
import { scoringFor } from "../providers/speakerEmbedder/scoring.js";
import {
  checkTurn,
  matchSpeakers,
  type SpeakerDecision,
  type SpeakerEvidence,
  type TurnVerdict,
} from "../speaker/matching.js";
import {
  applyFit,
  fitWindows,
  judgeFit,
  type FitVerdict,
  type FitWindow,
  type ScoredWindow,
} from "../speaker/clusterFit.js";
import type { SpeakerScoring } from "../speaker/scoring.js";
import { chooseSpeakerSamples } from "../speaker/speakerSamples.js";
import { keepManualLabels, labelSegments, manualIdentities, turnsToCheck } from "../speaker/segmentLabels.js";
import { bucket } from "../store/firebase.js";
import { loadJobJson } from "../store/objects.js";
import { reembedProfiles } from "../store/profileMigration.js";
import { loadVoiceProfiles } from "../store/profiles.js";
import { saveTranscriptVersion } from "../store/transcriptVersions.js";

const STAGE = "identify" as const;
export interface IdentifyDeps extends StageDeps {
  speakerEmbedder: () => Promise<SpeakerEmbedder>;
}

/** Re-embedding profiles of an older speaker model starts no further profile after this long inside identify. */
export const REEMBED_BUDGET_MS = 120_000;

/**
 * The most transcript a memory document holds (Firestore's limit is 1 MiB for the whole document, which also has the
 * job and the structure). With MAX_AUDIO_SECONDS at 4 hours, a transcript stays far below (about 0.4 MiB for four
 * hours of dense talk, docs/failure-modes.md "Long recordings").
 */
export const MAX_TRANSCRIPT_BYTES = 800 * 1024;

/** Each speaker's chosen audio (see chooseSpeakerSamples), read from the WAV stream in one pass and embedded once. */
export async function embedSpeakers(
  segments: TranscriptSegment[],
  audio: Readable,
  embedder: SpeakerEmbedder,
): Promise<Map<string, SpeakerEvidence>> {
  const { pieces, sampleRate } = await readWavRanges(audio, chooseSpeakerSamples(segments));
  const evidence = new Map<string, SpeakerEvidence>();
  for (const [speaker, parts] of pieces) {
    const samples = concatSamples(parts);
    const embedding = await embedder.embed(samples);
    if (embedding) evidence.set(speaker, { embedding, speechSeconds: samples.length / sampleRate });
  }
  return evidence;
}

export interface NamedSpeakerChecks {
  /** Per speaker matchSpeakers named, its fit (speaker/clusterFit.ts). */
  fits: Map<string, FitVerdict>;
  /** The decisions with every poorly fitting speaker named nobody. */
  decisions: Map<string, SpeakerDecision>;
  /** Per checkable turn (segment index) of a speaker still named, whether it matches the profile on its own. */
  verdicts: Map<number, TurnVerdict>;
  /** Per named speaker, the fit check's windows, each embedded and scored against the speaker's profile. */
  windows: Map<string, ScoredWindow[]>;
}

/**
 * The checks of every speaker matchSpeakers named, in one more pass over the audio: the fit check (its speech in short
 * windows, speaker/clusterFit.ts), then, for speakers still named, each checkable turn (segmentLabels.ts
 * turnsToCheck) on its own against the speaker's profile.
 */
export async function checkNamedSpeakers(
  segments: TranscriptSegment[],
  matched: Map<string, SpeakerDecision>,
  profiles: VoiceProfile[],
  scoring: SpeakerScoring,
  audio: () => Readable,
  embedder: SpeakerEmbedder,
): Promise<NamedSpeakerChecks> {
  const named = new Map(
    [...matched].flatMap(([label, d]) => {
      const profile = profiles.find((p) => p.id === d.profileId);
      return profile ? [[label, profile] as const] : [];
    }),
  );
  const fits = new Map<string, FitVerdict>();
  const verdicts = new Map<number, TurnVerdict>();
  if (!named.size) return { fits, decisions: matched, verdicts, windows: new Map() };
  type Key = { window: FitWindow } | { turn: number };
  const ranges: SampleRange<Key>[] = [
    ...fitWindows(segments, new Set(named.keys())).map((r) => ({ ...r, key: { window: r.key } })),
    ...turnsToCheck(segments, matched).map((r) => ({ ...r, key: { turn: r.key } })),
  ];
  const scored = new Map<string, ScoredWindow[]>();
  const turns = new Map<number, Float32Array>();
  await forEachWavRange(audio(), ranges, async (key, samples, rate) => {
    const embedding = await embedder.embed(samples);
    if (!embedding) return;
    if ("turn" in key) {
      turns.set(key.turn, embedding);
      return;
    }
    const { speaker } = key.window;
    const score = scoring.score(embedding, named.get(speaker)!.embedding);
    const list = scored.get(speaker) ?? [];
    list.push({ start: key.window.start, seconds: samples.length / rate, embedding, score });
    scored.set(speaker, list);
  });
  for (const [label, profile] of named) fits.set(label, judgeFit(scored.get(label) ?? [], profile.embedding, scoring));
  const decisions = applyFit(matched, fits);
  for (const [index, embedding] of turns) {
    const profileId = decisions.get(segments[index].speaker)?.profileId;
    if (profileId) verdicts.set(index, checkTurn(embedding, profileId, profiles, scoring));
  }
  return { fits, decisions, verdicts, windows: scored };
}

const round = (x: number | null) => (x === null ? null : Number(x.toFixed(3)));
const fitSummary = (f: FitVerdict) => ({
  windows: f.windows,
  high: round(f.high),
  low: round(f.low),
  low_share: round(f.lowShare),
});

export async function identify(message: JobMessage, deps: IdentifyDeps): Promise<void> {
  const job: JobRef = message;
  const { config } = deps;
  await runStage({ job, stage: STAGE, idempotencyKey: `event:${deps.eventId}`, deps }, async ({ pp, memory }) => {
    if (!pp.segments || !pp.audio.normalized_object)
      throw permanent("no_segments", "The job has no segments to identify.");
    const segments = await loadJobJson<TranscriptSegment[]>(config.postprocessingBucket, pp.segments.object);
    const audioFile = bucket(config.postprocessingBucket).file(pp.audio.normalized_object);
    const openAudio = () => audioFile.createReadStream();
    const audio = openAudio();
    const embedder = await deps.speakerEmbedder();
    // Profiles another speaker model made are brought to this one first (from kept samples), as the speech-profile
    // endpoints do: otherwise a model change would leave every voice unrecognised until the user opens the app.
    await reembedProfiles(job.uid, embedder, {
      budgetMs: REEMBED_BUDGET_MS,
      recordingsBucket: config.recordingsBucket,
    });
    const [speakers, profiles] = await Promise.all([
      embedSpeakers(segments, audio, embedder),
      loadVoiceProfiles(job.uid, embedder.modelId),
    ]);
    const scoring = scoringFor(embedder, config.speakerMatchThreshold);
    // Identities the user placed by hand in this memory are not given to another speaker automatically.
    const reserved = manualIdentities((memory.transcript_segments ?? []) as Partial<TranscriptSegment>[]);
    const matched = matchSpeakers(speakers, profiles, scoring, { reserved });
    const { fits, decisions, verdicts } = await checkNamedSpeakers(
      segments,
      matched,
      profiles,
      scoring,
      openAudio,
      embedder,
    );
    const named = labelSegments(segments, decisions, verdicts);
    const bytes = Buffer.byteLength(JSON.stringify(named));
    if (bytes > MAX_TRANSCRIPT_BYTES) {
      // Permanent, never a retry loop: the memory keeps its transcript; the words stay in Storage until swept.
      throw permanent(
        "transcript_too_large",
        `The new transcript is ${Math.round(bytes / 1024)} KiB; ` +
          `a memory holds at most ${MAX_TRANSCRIPT_BYTES / 1024} KiB.`,
      );
    }
    const speakerNames = [...decisions].map(
      ([label, d]) =>
        [
          label,
          {
            status: d.status,
            id: d.profileId,
            nearest: d.nearest,
            similarity: round(d.similarity),
            runner_up: round(d.runnerUp),
            speech_s: round(d.speechSeconds),
            ...(fits.has(label) ? { fit: fitSummary(fits.get(label)!) } : {}),
          },
        ] as const,
    );
    const splitTurns = [...verdicts.values()].filter((v) => !v.keep).length;
    return {
      kind: "done",
      patch: { "postprocessing.speakers": Object.fromEntries(speakerNames) },
      // In the completing transaction: manual labels made meanwhile (assign endpoint, the app) win over this run's.
      also: (tx, snap) => {
        const current = (snap.get("transcript_segments") ?? []) as Partial<TranscriptSegment>[];
        const final = keepManualLabels(named, current);
        const version = saveTranscriptVersion(tx, snap, final, {
          source: pp.transcript?.model ?? "unknown",
          jobId: job.jobId,
          createdAt: deps.now().toISOString(),
        });
        return { transcript_segments: final, transcript_version: version };
      },
      summary: {
        speakers: speakers.size,
        profiles: profiles.length,
        matched: [...decisions.values()].filter((d) => d.profileId).length,
        poorFit: [...fits.values()].filter((f) => f.poor).length,
        turnsChecked: verdicts.size,
        turnsSplit: splitTurns,
        embedder: embedder.modelId,
      },
    };
  });
}
