/**
 * Stage `identify` (Pub/Sub `postprocessing-identify`): name who spoke. Per diarized speaker, its segments of at
 * least 0.5 s are pooled and embedded, compared with the user's and known people's voice profiles, and `is_user` /
 * `person_id` are set only above the threshold (at most one speaker is the user). Then, in one transaction with the
 * job state: the memory's previous transcript is kept as a version, the new one saved, and the next stages queued.
 * Matches are never folded back into profiles.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TOPICS } from "../config.js";
import { permanent } from "../errors.js";
import { bucket, db } from "../firebase.js";
import * as logs from "../logs.js";
import type { JobMessage, Postprocessing, StageName, TranscriptSegment } from "../model.js";
import { readWavSamples, sliceSamples } from "../audio/pcm.js";
import { createSpeakerEmbedder } from "../speaker/createEmbedder.js";
import { matchSpeakers, type SpeakerMatch } from "../speaker/matching.js";
import type { SpeakerEmbedder } from "../speaker/types.js";
import { loadJobJson } from "../store/jobJson.js";
import { memoryPath } from "../store/paths.js";
import { loadVoiceProfiles } from "../store/profiles.js";
import { claimStage, completeStage, type JobRef } from "../store/stages.js";
import { handOff } from "./handOff.js";
import type { StageDeps } from "./segment.js";
import { handleStageFailure } from "./stageFailure.js";

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
    const pooled = new Float32Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of pieces) {
      pooled.set(p, at);
      at += p.length;
    }
    const embedding = await embedder.embed(pooled);
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

export async function identify(message: JobMessage, deps: StageDeps): Promise<void> {
  const job: JobRef = message;
  const ctx = { ...job, stage: STAGE, eventId: deps.eventId };
  const idempotencyKey = `event:${deps.eventId}`;
  const { config } = deps;
  const claim = await claimStage(job, STAGE, {
    idempotencyKey, now: deps.now(), leaseMs: config.stageLeaseMs, maxAttempts: config.stageMaxAttempts, phase: "identifying_speakers",
  });
  const { decision } = claim;
  const pp = claim.memory?.postprocessing as Postprocessing | undefined;
  const nextStages: StageName[] = pp?.emotional_feedback ? ["reprocess", "emotion"] : ["reprocess"];
  const handOffAll = () => handOff(job, STAGE, nextStages.map((s) => TOPICS[s as keyof typeof TOPICS]), ctx);
  if (decision.kind === "skip") return logs.stageSkipped(ctx, decision.reason);
  if (decision.kind === "exhausted") return logs.jobFailed(ctx, `${STAGE} exhausted ${decision.attempts} attempts`);
  if (decision.kind === "republish") return handOffAll();

  logs.stageStarted(ctx, decision.attempt);
  const startedMs = Date.now();
  const dir = await mkdtemp(join(tmpdir(), "identify-"));
  try {
    if (!pp?.segments || !pp.audio.normalized_object) throw permanent("no_segments", "The job has no segments to identify.");
    const segments = await loadJobJson<TranscriptSegment[]>(config.postprocessingBucket, pp.segments.object);
    const wavPath = join(dir, "audio.wav");
    await bucket(config.postprocessingBucket).file(pp.audio.normalized_object).download({ destination: wavPath });
    const { samples, sampleRate } = await readWavSamples(wavPath);
    const embedder = await createSpeakerEmbedder(config.speakerModelPath);
    const [speakers, profiles] = await Promise.all([
      embedSpeakers(segments, samples, sampleRate, embedder),
      loadVoiceProfiles(job.uid, embedder.modelId),
    ]);
    const matches = matchSpeakers(speakers, profiles, config.speakerMatchThreshold);
    const named = applyMatches(segments, matches);

    const memoryRef = db().doc(memoryPath(job.uid, job.memoryId));
    const completed = await completeStage(job, STAGE, {
      idempotencyKey, now: deps.now(), phase: "awaiting_reprocess", next: nextStages,
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
    if (!completed) return logs.stageSkipped(ctx, "lost_lease");
    logs.stageDone(ctx, Date.now() - startedMs, {
      speakers: speakers.size, profiles: profiles.length, matched: [...matches.values()].filter(Boolean).length, embedder: embedder.modelId,
    });
    await handOffAll();
  } catch (err) {
    await handleStageFailure(err, {
      job, stage: STAGE, idempotencyKey, now: deps.now(), eventTime: deps.eventTime, maxEventAgeMs: deps.maxEventAgeMs, log: ctx, startedMs,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
