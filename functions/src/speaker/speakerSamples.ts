/**
 * Which stretches of a speaker's speech say who they are: segments of at least MIN_SEGMENT_FOR_EMBEDDING_S, spread
 * over the whole recording, up to MAX_SPEECH_PER_SPEAKER_S per speaker. The identify stage embeds them to decide who
 * spoke, and the assign endpoint to teach a voice (embedSpeakerVoice).
 */
import type { Readable } from "node:stream";
import { concatSamples } from "../audio/pcm.js";
import { readWavRanges, type SampleRange } from "../audio/wavRanges.js";
import type { SpeakerEmbedder } from "../model/speaker.js";
import type { TranscriptSegment } from "../model/transcript.js";

/** Shorter segments say little about a voice and are mostly overlaps, back-channels and mis-cut words. */
export const MIN_SEGMENT_FOR_EMBEDDING_S = 0.5;

/**
 * At most this much speech per speaker is embedded: plenty for a voice (models are trained on a few seconds), and it
 * bounds memory and time whatever the recording's length.
 */
export const MAX_SPEECH_PER_SPEAKER_S = 90;

/** Every k-th segment of each speaker (in time order) so the chosen speech reaches across the whole recording. */
export function chooseSpeakerSamples(
  segments: Pick<TranscriptSegment, "speaker" | "start" | "end">[],
): SampleRange<string>[] {
  const bySpeaker = new Map<string, Pick<TranscriptSegment, "start" | "end">[]>();
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

/** Less of a speaker's speech than this does not teach a voice (Omi's minimum evidence, as in matching). */
export const TEACH_MIN_SPEECH_SECONDS = 5;

/**
 * One speaker's chosen speech (chooseSpeakerSamples) read from a 16 kHz WAV stream and embedded: what naming a speaker
 * teaches. Null when there is less than TEACH_MIN_SPEECH_SECONDS of it, or the embedder found too little voice.
 */
export async function embedSpeakerVoice(
  segments: Pick<TranscriptSegment, "speaker" | "start" | "end">[],
  label: string,
  wav: Readable,
  embedder: SpeakerEmbedder,
): Promise<{ embedding: Float32Array; speechSeconds: number } | null> {
  const ranges = chooseSpeakerSamples(segments.filter((s) => s.speaker === label));
  const { pieces, sampleRate } = await readWavRanges(wav, ranges);
  const samples = concatSamples(pieces.get(label) ?? []);
  const speechSeconds = samples.length / sampleRate;
  if (speechSeconds < TEACH_MIN_SPEECH_SECONDS) return null;
  const embedding = await embedder.embed(samples);
  return embedding ? { embedding, speechSeconds } : null;
}
