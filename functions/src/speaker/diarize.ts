/**
 * Local diarization: VAD regions → windows of at most ~3 s → speaker embeddings → clustering (cluster.ts: per-recording
 * normalisation, number of speakers, re-segmentation) → speaker turns.
 */
import { sliceSamples } from "../audio/pcm.js";
import type { SpeakerEmbedder, VoiceActivityDetector } from "../model/speaker.js";
import type { SpeakerTurn, SpeechRegion } from "../model/transcript.js";
import { clusterSpeakers } from "./cluster.js";

export const DIARIZATION_SAMPLE_RATE = 16_000;
/** VAD regions longer than this are split, so a speaker change without a pause inside one region is still caught. */
const MAX_WINDOW_S = 3;
/** Pauses up to this long between two turns of the same speaker are bridged into one turn. */
const MAX_MERGE_GAP_S = 1;
/**
 * Clusters of at most this many windows, each inside continuous speech between two other speakers, are taken for
 * windows straddling a speaker change (see `splitChangeWindows`), not for a speaker.
 */
const MAX_CHANGE_CLUSTER_WINDOWS = 3;

export interface DiarizeAnchor {
  /** Whose voice this is (e.g. "user" or a person's id); reported back in `anchoredSpeakers`. */
  label: string;
  /** An enrolled profile from the same embedder as `DiarizeOptions.embedder` (other dimensions are ignored). */
  embedding: Float32Array;
}

export interface DiarizeOptions {
  vad: VoiceActivityDetector;
  embedder: SpeakerEmbedder;
  /** When known, exactly this many speakers are formed. */
  numSpeakers?: number;
  /**
   * Known voices (optional, default none). Windows close to one seed that speaker's cluster, and two anchors' clusters
   * are never merged, so identification against the same profiles finds the speaker the diarization formed.
   */
  anchors?: DiarizeAnchor[];
}

export interface Diarization {
  turns: SpeakerTurn[];
  /** Anchor label → the speaker its windows seeded; anchors whose voice was not found are absent. */
  anchoredSpeakers: Map<string, string>;
}

export async function diarize(
  samples: Float32Array,
  sampleRate: number,
  options: DiarizeOptions,
): Promise<SpeakerTurn[]> {
  return (await diarizeWithAnchors(samples, sampleRate, options)).turns;
}

/** `diarize`, also telling which speaker each anchor seeded. */
export async function diarizeWithAnchors(
  samples: Float32Array,
  sampleRate: number,
  options: DiarizeOptions,
): Promise<Diarization> {
  if (sampleRate !== DIARIZATION_SAMPLE_RATE)
    throw new Error(`diarize needs ${DIARIZATION_SAMPLE_RATE} Hz audio, got ${sampleRate} Hz`);
  const windows = splitLongRegions(await options.vad.detect(samples), MAX_WINDOW_S);
  if (windows.length === 0) return { turns: [], anchoredSpeakers: new Map() };
  const embeddings = await Promise.all(
    windows.map((w) => options.embedder.embed(sliceSamples(samples, sampleRate, w.start, w.end))),
  );

  const embedded = windows.map((_, i) => i).filter((i) => embeddings[i] !== null);
  const anchors = (options.anchors ?? []).filter((a) => a.embedding.length === options.embedder.dimension);
  const { labels, anchorClusters } = clusterSpeakers(
    embedded.map((i) => embeddings[i]!),
    { numClusters: options.numSpeakers, anchors: anchors.map((a) => a.embedding) },
  );
  const clusterOf = new Map(embedded.map((windowIndex, k) => [windowIndex, labels[k]]));

  // A window too short or unvoiced to embed takes the cluster of the nearest embedded window; with none, one speaker.
  const labelled = windows.map((w, i) => ({
    ...w,
    cluster: clusterOf.get(i) ?? clusterOf.get(nearestIndex(windows, embedded, i)) ?? 0,
  }));
  const anchored = new Set(anchorClusters.filter((c) => c !== null));
  const { turns, names } = toTurns(splitChangeWindows(labelled, anchored));
  const anchoredSpeakers = new Map<string, string>();
  anchors.forEach((a, k) => {
    const name = names.get(anchorClusters[k] ?? -1);
    if (name) anchoredSpeakers.set(a.label, name);
  });
  return { turns, anchoredSpeakers };
}

type LabelledWindow = SpeechRegion & { cluster: number };

/**
 * When a speaker change falls inside one VAD region, the window across it mixes two voices, and a few such windows
 * (the same two speakers taking turns) can look like a speaker of their own. A small cluster all of whose windows sit
 * inside continuous speech between two different other speakers is dissolved: each window is split in the middle, the
 * halves going to the speakers before and after. Clusters an anchor seeded are kept.
 */
export function splitChangeWindows(windows: LabelledWindow[], keep = new Set<number>()): LabelledWindow[] {
  const isChange = (i: number) => {
    const [before, w, after] = [windows[i - 1], windows[i], windows[i + 1]];
    return (
      before !== undefined &&
      after !== undefined &&
      before.end === w.start &&
      w.end === after.start &&
      before.cluster !== after.cluster &&
      before.cluster !== w.cluster &&
      after.cluster !== w.cluster
    );
  };
  const members = new Map<number, number[]>();
  windows.forEach((w, i) => members.set(w.cluster, [...(members.get(w.cluster) ?? []), i]));
  const dissolved = new Set(
    [...members]
      .filter(([c, m]) => !keep.has(c) && m.length <= MAX_CHANGE_CLUSTER_WINDOWS && m.every(isChange))
      .map(([c]) => c),
  );
  if (dissolved.size === members.size) return windows;
  return windows.flatMap((w, i) => {
    if (!dissolved.has(w.cluster)) return [w];
    const middle = (w.start + w.end) / 2;
    return [
      { start: w.start, end: middle, cluster: windows[i - 1].cluster },
      { start: middle, end: w.end, cluster: windows[i + 1].cluster },
    ];
  });
}

/** Consecutive windows of one cluster become one turn across pauses up to MAX_MERGE_GAP_S; names by first turn. */
function toTurns(windows: LabelledWindow[]): { turns: SpeakerTurn[]; names: Map<number, string> } {
  const names = new Map<number, string>();
  const turns: SpeakerTurn[] = [];
  for (const w of windows) {
    if (!names.has(w.cluster)) names.set(w.cluster, `SPEAKER_${String(names.size).padStart(2, "0")}`);
    const speaker = names.get(w.cluster)!;
    const last = turns.at(-1);
    if (last && last.speaker === speaker && w.start - last.end <= MAX_MERGE_GAP_S) last.end = w.end;
    else turns.push({ start: w.start, end: w.end, speaker });
  }
  return { turns, names };
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
