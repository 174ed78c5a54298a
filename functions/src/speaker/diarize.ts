/** Local diarization: VAD regions → windows of at most ~3 s → speaker embeddings → clustering → speaker turns. */
import { sliceSamples } from "../audio/pcm.js";
import type { SpeakerEmbedder, VoiceActivityDetector } from "../model/speaker.js";
import type { SpeakerTurn, SpeechRegion } from "../model/transcript.js";
import { centerEmbeddings, clusterEmbeddings, silhouetteScore } from "./cluster.js";

export const DIARIZATION_SAMPLE_RATE = 16_000;
/** VAD regions longer than this are split, so a speaker change without a pause inside one region is still caught. */
const MAX_WINDOW_S = 3;
/**
 * Silhouette a clustering needs to count as several speakers. Measured on espeak voices for the best two-way split:
 * one voice 0.30–0.44, two distinct voices 0.73–0.88.
 */
const MIN_SPEAKER_SILHOUETTE = 0.6;
/** Pauses up to this long between two turns of the same speaker are bridged into one turn. */
const MAX_MERGE_GAP_S = 1;

export interface DiarizeOptions {
  vad: VoiceActivityDetector;
  embedder: SpeakerEmbedder;
  /** When known, exactly this many speakers are formed. */
  numSpeakers?: number;
}

export async function diarize(
  samples: Float32Array,
  sampleRate: number,
  options: DiarizeOptions,
): Promise<SpeakerTurn[]> {
  if (sampleRate !== DIARIZATION_SAMPLE_RATE)
    throw new Error(`diarize needs ${DIARIZATION_SAMPLE_RATE} Hz audio, got ${sampleRate} Hz`);
  const windows = splitLongRegions(await options.vad.detect(samples), MAX_WINDOW_S);
  if (windows.length === 0) return [];
  const embeddings = await Promise.all(
    windows.map((w) => options.embedder.embed(sliceSamples(samples, sampleRate, w.start, w.end))),
  );

  const embedded = windows.map((_, i) => i).filter((i) => embeddings[i] !== null);
  const clusters = clusterSegments(centerEmbeddings(embedded.map((i) => embeddings[i]!)), options);
  const clusterOf = new Map(embedded.map((windowIndex, k) => [windowIndex, clusters[k]]));

  // A window too short or unvoiced to embed takes the cluster of the nearest embedded window; with none, one speaker.
  const labelled = windows.map((w, i) => ({
    ...w,
    cluster: clusterOf.get(i) ?? clusterOf.get(nearestIndex(windows, embedded, i)) ?? 0,
  }));
  const names = new Map<number, string>();
  const turns: SpeakerTurn[] = [];
  for (const w of labelled) {
    if (!names.has(w.cluster)) names.set(w.cluster, `SPEAKER_${String(names.size).padStart(2, "0")}`);
    const speaker = names.get(w.cluster)!;
    const last = turns.at(-1);
    if (last && last.speaker === speaker && w.start - last.end <= MAX_MERGE_GAP_S) last.end = w.end;
    else turns.push({ start: w.start, end: w.end, speaker });
  }
  return turns;
}

/** Most speakers considered when the count is not given. */
const MAX_SPEAKERS = 8;

/**
 * With a known count, exactly that many clusters. Otherwise the count whose clustering is best separated
 * (highest silhouette, k = 2…8); if even that is not clearly separated, one speaker (centring makes a monologue's
 * windows point in random directions, which no threshold tells apart from several speakers).
 */
function clusterSegments(centered: Float32Array[], options: DiarizeOptions): number[] {
  if (options.numSpeakers !== undefined) return clusterEmbeddings(centered, { numClusters: options.numSpeakers });
  let best = { score: -Infinity, labels: centered.map(() => 0) };
  for (let k = 2; k <= Math.min(MAX_SPEAKERS, centered.length - 1); k++) {
    const labels = clusterEmbeddings(centered, { numClusters: k });
    const score = silhouetteScore(centered, labels);
    if (score > best.score) best = { score, labels };
  }
  return best.score >= MIN_SPEAKER_SILHOUETTE ? best.labels : centered.map(() => 0);
}

/** Index (from `candidates`) of the window closest in time to window `i`; -1 when there are none. */
function nearestIndex(windows: SpeechRegion[], candidates: number[], i: number): number {
  const gap = (j: number) => Math.max(windows[j].start - windows[i].end, windows[i].start - windows[j].end);
  return candidates.reduce((bestJ, j) => (bestJ < 0 || gap(j) < gap(bestJ) ? j : bestJ), -1);
}

/** Splits regions longer than `maxS` into equal windows of between maxS/2 and maxS. */
export function splitLongRegions(regions: SpeechRegion[], maxS: number): SpeechRegion[] {
  return regions.flatMap((r) => {
    const pieces = Math.ceil((r.end - r.start) / maxS);
    if (pieces <= 1) return [r];
    const length = (r.end - r.start) / pieces;
    return Array.from({ length: pieces }, (_, k) => ({
      start: r.start + k * length,
      end: k === pieces - 1 ? r.end : r.start + (k + 1) * length,
    }));
  });
}
