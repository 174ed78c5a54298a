/**
 * The user's own speech as audio to send for analysis: their segments cut out of the normalized WAV and joined with
 * short silences, in requests under a size limit, with a map from each request's clock back to the recording's (so a
 * measurement lands on the transcript's time line).
 *
 * Memory is bounded by one request, never by the recording: the requests are planned from segment times alone, and
 * each request's audio is read out of the recording (one streaming pass) only when it is about to be sent. A long
 * recording's speech is capped (`maxSeconds`), the analysed stretches spread evenly over the whole conversation.
 */
import type { Readable } from "node:stream";
import { encodeWavSamples } from "../../audio/pcm.js";
import { readWavRanges } from "../../audio/wavRanges.js";
import type { TranscriptSegment } from "../../model/transcript.js";

/** Silence between two joined stretches of speech (seconds). */
export const GAP_S = 0.3;
/** The normalized recording's rate (prepare_audio writes 16 kHz mono 16-bit WAV). */
const RATE = 16_000;
const WAV_HEADER_BYTES = 44;

/** Where a piece of request audio came from: [at, at + length) in the request is [start, …) in the recording. */
export interface Placement {
  at: number;
  start: number;
  length: number;
}

/** One request as planned: which stretches of the recording it holds, where, and for how long (seconds). */
export interface PlannedRequest {
  placements: Placement[];
  /** Speech in it (the joining silences not counted). */
  speechSeconds: number;
  /** Its whole length. */
  seconds: number;
}

export interface BuiltRequest {
  wav: Buffer;
  placements: Placement[];
  seconds: number;
}

/** Maps a time in a request (seconds) back to the recording, or null when it falls in a joining silence. */
export function toRecordingTime(placements: Placement[], t: number): number | null {
  for (const p of placements) if (t >= p.at && t <= p.at + p.length) return p.start + (t - p.at);
  return null;
}

/**
 * At most `maxSeconds` of the segments, spread evenly over them (a stride, not the first minutes): each segment is
 * taken while the taken share stays at or below the wanted share. Pure.
 */
export function spreadSelection(segments: Pick<TranscriptSegment, "start" | "end">[], maxSeconds: number) {
  const total = segments.reduce((n, s) => n + Math.max(0, s.end - s.start), 0);
  if (total <= maxSeconds) return segments;
  const share = maxSeconds / total;
  let seen = 0;
  let taken = 0;
  const kept: typeof segments = [];
  for (const s of segments) {
    const length = Math.max(0, s.end - s.start);
    seen += length;
    if (taken + length <= maxSeconds && taken + length <= seen * share + 1e-9) {
      kept.push(s);
      taken += length;
    }
  }
  return kept;
}

/**
 * The requests for the user's segments: each at most `maxBytes` as 16 kHz mono 16-bit WAV, a segment longer than a
 * whole request cut into request-sized pieces. Pure (times only, no audio).
 */
export function planUserAudio(
  segments: Pick<TranscriptSegment, "start" | "end">[],
  opts: { maxBytes: number; maxSeconds: number },
): PlannedRequest[] {
  const maxSeconds = Math.floor((opts.maxBytes - WAV_HEADER_BYTES) / 2) / RATE;
  if (!(maxSeconds > GAP_S)) throw new Error(`a request of ${opts.maxBytes} bytes holds no speech`);
  const requests: PlannedRequest[] = [];
  let current: PlannedRequest = { placements: [], speechSeconds: 0, seconds: 0 };
  const flush = () => {
    if (current.placements.length) requests.push(current);
    current = { placements: [], speechSeconds: 0, seconds: 0 };
  };
  const ordered = [...spreadSelection(segments, opts.maxSeconds)].sort((a, b) => a.start - b.start);
  for (const segment of ordered) {
    let start = segment.start;
    let left = Math.max(0, segment.end - segment.start);
    while (left > 1e-6) {
      const gap = current.placements.length ? GAP_S : 0;
      if (current.seconds + gap >= maxSeconds - 1e-6) {
        flush();
        continue;
      }
      const at = current.seconds + (current.placements.length ? GAP_S : 0);
      const take = Math.min(left, maxSeconds - at);
      current.placements.push({ at, start, length: take });
      current.speechSeconds += take;
      current.seconds = at + take;
      start += take;
      left -= take;
      if (left > 1e-6) flush();
    }
  }
  flush();
  return requests;
}

/** One planned request's audio, read out of the recording in a single streaming pass. */
export async function buildRequest(audio: Readable, planned: PlannedRequest): Promise<BuiltRequest> {
  const ranges = planned.placements.map((p, i) => ({ key: i, start: p.start, end: p.start + p.length }));
  const { sampleRate, pieces } = await readWavRanges(audio, ranges);
  const joined = new Float32Array(Math.round(planned.seconds * sampleRate));
  planned.placements.forEach((p, i) => {
    const piece = pieces.get(i)?.[0] ?? new Float32Array(0);
    const at = Math.round(p.at * sampleRate);
    joined.set(piece.subarray(0, Math.max(0, joined.length - at)), at);
  });
  return { wav: encodeWavSamples(joined, sampleRate), placements: planned.placements, seconds: planned.seconds };
}
