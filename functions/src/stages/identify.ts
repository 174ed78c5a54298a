/**
 * Stage `identify`: name who spoke. Per diarized speaker, its segments of at least 0.5 s are pooled and embedded,
 * compared with the user's and known people's voice profiles, and `is_user` / `person_id` are set only above the
 * threshold (at most one speaker is the user). Then, in one transaction with the job state: the memory's previous
 * transcript is kept as a version, the new one saved, and the next stages queued. Matches are never folded back
 * into profiles.
 */
import type { DocumentSnapshot, Transaction } from "firebase-admin/firestore";
import type { Readable } from "node:stream";
import { concatSamples } from "../audio/pcm.js";
import { readWavRanges, type SampleRange } from "../audio/wavRanges.js";
import { permanent } from "../errors.js";
import type { JobMessage, JobRef, Postprocessing } from "../model/job.js";
import type { SpeakerEmbedder } from "../model/speaker.js";
import type { TranscriptSegment } from "../model/transcript.js";
import { runStage, type StageDeps } from "../pipeline/runStage.js";
import { scoringFor } from "../providers/speakerEmbedder/scoring.js";
import { matchSpeakers, type SpeakerMatch } from "../speaker/matching.js";
import { bucket, db } from "../store/firebase.js";
import { loadJobJson } from "../store/objects.js";
import { memoryPath } from "../store/paths.js";
import { reembedProfiles } from "../store/profileMigration.js";
import { loadVoiceProfiles } from "../store/profiles.js";

const STAGE = "identify" as const;
/** Shorter segments say little about a voice and are mostly overlaps, back-channels and mis-cut words. */
export const MIN_SEGMENT_FOR_EMBEDDING_S = 0.5;

export interface IdentifyDeps extends StageDeps {
  speakerEmbedder: () => Promise<SpeakerEmbedder>;
}

/**
 * At most this much speech per speaker is embedded: plenty for a voice (models are trained on a few seconds), and it
 * bounds memory and time whatever the recording's length.
 */
export const MAX_SPEECH_PER_SPEAKER_S = 90;

/** Re-embedding profiles of an older speaker model starts no further profile after this long inside identify. */
export const REEMBED_BUDGET_MS = 120_000;

/**
 * The most transcript a memory document holds (Firestore's limit is 1 MiB for the whole document, which also has the
 * job and the structure). With MAX_AUDIO_SECONDS at 4 hours, a transcript stays far below (about 0.4 MiB for four
 * hours of dense talk, README "Long recordings").
 */
export const MAX_TRANSCRIPT_BYTES = 800 * 1024;

/**
 * Which stretches of each speaker to embed: segments of at least 0.5 s, spread over the whole recording (every k-th
 * in time order) up to MAX_SPEECH_PER_SPEAKER_S. Pure.
 */
export function chooseSpeakerSamples(segments: TranscriptSegment[]): SampleRange<string>[] {
  const bySpeaker = new Map<string, TranscriptSegment[]>();
  for (const s of segments) {
    if (s.end - s.start < MIN_SEGMENT_FOR_EMBEDDING_S) continue;
    bySpeaker.set(s.speaker, [...(bySpeaker.get(s.speaker) ?? []), s]);
  }
  const ranges: SampleRange<string>[] = [];
  for (const [speaker, list] of bySpeaker) {
    const total = list.reduce((n, s) => n + (s.end - s.start), 0);
    const step = Math.max(1, Math.ceil(total / MAX_SPEECH_PER_SPEAKER_S));
    let kept = 0;
    for (let i = 0; i < list.length && kept < MAX_SPEECH_PER_SPEAKER_S; i += step) {
      const s = list[i];
      const end = Math.min(s.end, s.start + (MAX_SPEECH_PER_SPEAKER_S - kept));
      ranges.push({ key: speaker, start: s.start, end });
      kept += end - s.start;
    }
  }
  return ranges;
}

/** Each speaker's chosen audio (see chooseSpeakerSamples), read from the WAV stream in one pass and embedded once. */
export async function embedSpeakers(
  segments: TranscriptSegment[],
  audio: Readable,
  embedder: SpeakerEmbedder,
): Promise<Map<string, Float32Array>> {
  const { pieces } = await readWavRanges(audio, chooseSpeakerSamples(segments));
  const embeddings = new Map<string, Float32Array>();
  for (const [speaker, parts] of pieces) {
    const embedding = await embedder.embed(concatSamples(parts));
    if (embedding) embeddings.set(speaker, embedding);
  }
  return embeddings;
}

export function applyMatches(
  segments: TranscriptSegment[],
  matches: Map<string, SpeakerMatch | null>,
): TranscriptSegment[] {
  return segments.map((s) => {
    const match = matches.get(s.speaker) ?? null;
    return { ...s, is_user: match?.kind === "user", person_id: match?.kind === "person" ? match.profileId : null };
  });
}

/**
 * Inside the completing transaction: keeps the transcript being replaced (the streaming one, as version 1) and the
 * new one as versions under `transcripts/`, and returns the memory's new version number.
 */
function saveTranscriptVersions(job: JobRef, pp: Postprocessing, named: TranscriptSegment[], now: Date) {
  return (tx: Transaction, snap: DocumentSnapshot) => {
    const memoryRef = db().doc(memoryPath(job.uid, job.memoryId));
    const createdAt = now.toISOString();
    let version = Number(snap.get("transcript_version") ?? 0);
    const existing = (snap.get("transcript_segments") ?? []) as TranscriptSegment[];
    if (version === 0 && existing.length) {
      version = 1;
      tx.set(memoryRef.collection("transcripts").doc("1"), {
        version,
        source: "streaming",
        job_id: null,
        segments: existing,
        created_at: createdAt,
      });
    }
    version += 1;
    tx.set(memoryRef.collection("transcripts").doc(String(version)), {
      version,
      source: pp.transcript?.model ?? "unknown",
      job_id: job.jobId,
      segments: named,
      created_at: createdAt,
    });
    return { transcript_version: version };
  };
}

export async function identify(message: JobMessage, deps: IdentifyDeps): Promise<void> {
  const job: JobRef = message;
  const { config } = deps;
  await runStage({ job, stage: STAGE, idempotencyKey: `event:${deps.eventId}`, deps }, async ({ pp }) => {
    if (!pp.segments || !pp.audio.normalized_object)
      throw permanent("no_segments", "The job has no segments to identify.");
    const segments = await loadJobJson<TranscriptSegment[]>(config.postprocessingBucket, pp.segments.object);
    const audio = bucket(config.postprocessingBucket).file(pp.audio.normalized_object).createReadStream();
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
    const matches = matchSpeakers(speakers, profiles, scoringFor(embedder, config.speakerMatchThreshold));
    const named = applyMatches(segments, matches);
    const bytes = Buffer.byteLength(JSON.stringify(named));
    if (bytes > MAX_TRANSCRIPT_BYTES) {
      // Permanent, never a retry loop: the memory keeps its transcript; the words stay in Storage until swept.
      throw permanent(
        "transcript_too_large",
        `The new transcript is ${Math.round(bytes / 1024)} KiB; ` +
          `a memory holds at most ${MAX_TRANSCRIPT_BYTES / 1024} KiB.`,
      );
    }
    const speakerNames = [...matches].map(
      ([label, m]) => [label, m ? { kind: m.kind, id: m.profileId, similarity: m.similarity } : null] as const,
    );
    return {
      kind: "done",
      patch: { transcript_segments: named, "postprocessing.speakers": Object.fromEntries(speakerNames) },
      also: saveTranscriptVersions(job, pp, named, deps.now()),
      summary: {
        speakers: speakers.size,
        profiles: profiles.length,
        matched: [...matches.values()].filter(Boolean).length,
        embedder: embedder.modelId,
      },
    };
  });
}
