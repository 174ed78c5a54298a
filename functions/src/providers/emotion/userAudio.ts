/**
 * The user's own speech as audio to send for analysis: their segments cut out of the normalized WAV and joined with
 * short silences, split into requests under a size limit, with a map from each request's clock back to the
 * recording's (so a measurement lands on the transcript's time line).
 */
import type { Readable } from "node:stream";
import { encodeWavSamples } from "../../audio/pcm.js";
import { readWavRanges } from "../../audio/wavRanges.js";
import type { TranscriptSegment } from "../../model/transcript.js";

const GAP_S = 0.3;

/** Where a piece of request audio came from: [at, at + length) in the request is [start, …) in the recording. */
export interface Placement {
  at: number;
  start: number;
  length: number;
}

export interface UserAudioRequest {
  wav: Buffer;
  seconds: number;
  placements: Placement[];
}

/** Maps a time in a request (seconds) back to the recording, or null when it falls in a joining silence. */
export function toRecordingTime(placements: Placement[], t: number): number | null {
  for (const p of placements) if (t >= p.at && t <= p.at + p.length) return p.start + (t - p.at);
  return null;
}

/** The user's segments as WAV requests of at most `maxBytes` each (16 kHz mono s16le). */
export async function userAudioRequests(
  audio: Readable,
  segments: TranscriptSegment[],
  maxBytes: number,
): Promise<UserAudioRequest[]> {
  const ranges = segments.map((s, i) => ({ key: i, start: s.start, end: s.end }));
  const { sampleRate, pieces } = await readWavRanges(audio, ranges);
  const maxSamples = Math.floor((maxBytes - 44) / 2);
  const gap = new Float32Array(Math.round(GAP_S * sampleRate));
  const requests: UserAudioRequest[] = [];
  let parts: Float32Array[] = [];
  let placements: Placement[] = [];
  let length = 0;
  const flush = () => {
    if (!parts.length) return;
    const joined = new Float32Array(length);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    requests.push({ wav: encodeWavSamples(joined, sampleRate), seconds: length / sampleRate, placements });
    parts = [];
    placements = [];
    length = 0;
  };
  segments.forEach((segment, i) => {
    // A segment longer than a whole request is cut into request-sized pieces.
    let piece = pieces.get(i)?.[0] ?? new Float32Array(0);
    let start = segment.start;
    while (piece.length) {
      if (length && length + gap.length + piece.length > maxSamples) flush();
      if (length) {
        parts.push(gap);
        length += gap.length;
      }
      const take = piece.subarray(0, Math.min(piece.length, maxSamples - length));
      placements.push({ at: length / sampleRate, start, length: take.length / sampleRate });
      parts.push(take);
      length += take.length;
      start += take.length / sampleRate;
      piece = piece.subarray(take.length);
      if (piece.length) flush();
    }
  });
  flush();
  return requests;
}
