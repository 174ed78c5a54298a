/**
 * A memory's transcripts over time, under `users/{uid}/memories/{memoryId}/transcripts/{version}`: the streaming one
 * (version 1, kept when the first post-processed one replaces it), each identify run's, and each manual relabelling.
 * Written inside the transaction that changes `transcript_segments`, so the versions and the memory never disagree.
 */
import type { DocumentSnapshot, Transaction } from "firebase-admin/firestore";
import type { TranscriptSegment } from "../model/transcript.js";

export interface TranscriptVersionSource {
  /** What made it: the transcriber's model, or "manual_assign". */
  source: string;
  jobId: string | null;
  createdAt: string;
}

/** Stores `segments` as the memory's next version (after keeping the streaming one); returns the new version. */
export function saveTranscriptVersion(
  tx: Transaction,
  memory: DocumentSnapshot,
  segments: TranscriptSegment[],
  { source, jobId, createdAt }: TranscriptVersionSource,
): number {
  const versions = memory.ref.collection("transcripts");
  let version = Number(memory.get("transcript_version") ?? 0);
  const existing = (memory.get("transcript_segments") ?? []) as TranscriptSegment[];
  if (version === 0 && existing.length) {
    version = 1;
    tx.set(versions.doc("1"), {
      version,
      source: "streaming",
      job_id: null,
      segments: existing,
      created_at: createdAt,
    });
  }
  version += 1;
  tx.set(versions.doc(String(version)), { version, source, job_id: jobId, segments, created_at: createdAt });
  return version;
}
