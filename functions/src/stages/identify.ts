/**
 * Stage `identify` (Pub/Sub `postprocessing-identify`): name who spoke. Per diarized speaker, its segments of at
 * least 0.5 s are pooled and embedded, compared with the user's and known people's voice profiles, and `is_user` /
 * `person_id` are set only above the threshold (at most one speaker is the user). Then, in one transaction with the
 * job state: the memory's previous transcript is kept as a version, the new one saved, and the next stages queued.
 * Matches are never folded back into profiles.
 */
import { TOPICS } from "../config.js";
import { permanent } from "../errors.js";
import { db } from "../firebase.js";
import * as logs from "../logs.js";
import type { JobMessage, Postprocessing, StageName, TranscriptSegment } from "../model.js";
import { concatSamples, sliceSamples } from "../audio/pcm.js";
import { createSpeakerEmbedder } from "../speaker/createEmbedder.js";
import { matchSpeakers, type SpeakerMatch } from "../speaker/matching.js";
import type { SpeakerEmbedder } from "../speaker/types.js";
import { loadJobJson } from "../store/jobJson.js";
import { downloadWavSamples } from "../store/objects.js";
import { memoryPath } from "../store/paths.js";
import { loadVoiceProfiles } from "../store/profiles.js";
import { completeStage, type JobRef } from "../store/stages.js";
import { handOff } from "./handOff.js";
import { runStage, type StageDeps } from "./runStage.js";

const STAGE = "identify" as const;
/** Shorter segments say little about a voice and are mostly overlaps, back-channels and mis-cut words. */
export const MIN_SEGMENT_FOR_EMBEDDING_S = 0.5;

/** Each speaker's pooled audio (segments ≥ 0.5 s) embedded once. */
export async function embedSpeakers(
  segments: TranscriptSegment[],
  samples: Float32Array,
  sampleRate: number,
  embedder: SpeakerEmbedder,
): Promise<Map<string, Float32Array>> {
  const bySpeaker = new Map<string, Float32Array[]>();
  for (const s of segments) {
    if (s.end - s.start < MIN_SEGMENT_FOR_EMBEDDING_S) continue;
    const pieces = bySpeaker.get(s.speaker) ?? [];
    pieces.push(sliceSamples(samples, sampleRate, s.start, s.end));
    bySpeaker.set(s.speaker, pieces);
  }
  const embeddings = new Map<string, Float32Array>();
  for (const [speaker, pieces] of bySpeaker) {
    const embedding = await embedder.embed(concatSamples(pieces));
    if (embedding) embeddings.set(speaker, embedding);
  }
  return embeddings;
}

export function applyMatches(segments: TranscriptSegment[], matches: Map<string, SpeakerMatch | null>): TranscriptSegment[] {
  return segments.map((s) => {
    const match = matches.get(s.speaker) ?? null;
    return { ...s, is_user: match?.kind === "user", person_id: match?.kind === "person" ? match.profileId : null };
  });
}

const nextStages = (pp: Postprocessing | undefined): StageName[] => (pp?.emotional_feedback ? ["reprocess", "emotion"] : ["reprocess"]);
const topicsFor = (stages: StageName[]) => stages.map((s) => TOPICS[s as keyof typeof TOPICS]);

export async function identify(message: JobMessage, deps: StageDeps): Promise<void> {
  const job: JobRef = message;
  const { config } = deps;
  await runStage(
    {
      job, stage: STAGE, idempotencyKey: `event:${deps.eventId}`, phase: "identifying_speakers", deps,
      nextTopics: (memory) => topicsFor(nextStages(memory.postprocessing)),
    },
    async ({ memory, idempotencyKey, log, startedMs }) => {
      const pp = memory.postprocessing as Postprocessing;
      if (!pp.segments || !pp.audio.normalized_object) throw permanent("no_segments", "The job has no segments to identify.");
      const segments = await loadJobJson<TranscriptSegment[]>(config.postprocessingBucket, pp.segments.object);
      const { samples, sampleRate } = await downloadWavSamples(config.postprocessingBucket, pp.audio.normalized_object);
      const embedder = await createSpeakerEmbedder(config.speakerModelPath, config.speakerModelThreads);
      const [speakers, profiles] = await Promise.all([
        embedSpeakers(segments, samples, sampleRate, embedder),
        loadVoiceProfiles(job.uid, embedder.modelId),
      ]);
      const matches = matchSpeakers(speakers, profiles, config.speakerMatchThreshold);
      const named = applyMatches(segments, matches);

      const memoryRef = db().doc(memoryPath(job.uid, job.memoryId));
      const next = nextStages(pp);
      const completed = await completeStage(job, STAGE, {
        idempotencyKey, now: deps.now(), phase: "awaiting_reprocess", next,
        patch: {
          transcript_segments: named,
          "postprocessing.speakers": Object.fromEntries([...matches].map(([label, m]) => [label, m ? { kind: m.kind, id: m.profileId, similarity: m.similarity } : null])),
        },
        // Inside the same transaction: keep the transcript being replaced (and the new one) as versions.
        also: (tx, snap) => {
          const now = deps.now().toISOString();
          let version = Number(snap.get("transcript_version") ?? 0);
          const existing = (snap.get("transcript_segments") ?? []) as TranscriptSegment[];
          if (version === 0 && existing.length) {
            version = 1;
            tx.set(memoryRef.collection("transcripts").doc("1"), { version, source: "streaming", job_id: null, segments: existing, created_at: now });
          }
          version += 1;
          tx.set(memoryRef.collection("transcripts").doc(String(version)), {
            version, source: pp.transcript?.model ?? "unknown", job_id: job.jobId, segments: named, created_at: now,
          });
          return { transcript_version: version };
        },
      });
      if (!completed) return logs.stageSkipped(log, "lost_lease");
      logs.stageDone(log, Date.now() - startedMs, {
        speakers: speakers.size, profiles: profiles.length, matched: [...matches.values()].filter(Boolean).length, embedder: embedder.modelId,
      });
      await handOff(job, STAGE, topicsFor(next), log);
    },
  );
}
