/**
 * Speaker clustering of window embeddings, including how many speakers there are. Pure and deterministic.
 *
 * 1. Per-recording normalisation: each embedding is L2-normalised (so enrolled profiles, means of unit vectors, live
 *    in the same space), the recording's mean is subtracted and each dimension divided by its spread. Embeddings of
 *    weight-free features share a large common component, and their dimensions have unrelated scales.
 * 2. Ward clustering, and the number of speakers chosen by how well the clusters are separated (`separation`): a
 *    merge is kept apart only when the two clusters are both far apart relative to the within-speaker spread (effect
 *    size) and supported by enough windows (significance). The effect size alone lets a short monologue's chance
 *    split through; the significance alone splits every long monologue (real speech has structure, and with enough
 *    windows any structure is significant).
 * 3. Re-segmentation: windows are re-assigned to the nearest centroid, tiny clusters dissolved, and clusters that are
 *    not clearly separated merged.
 * 4. The whole is done twice: the second time in units of the first pass's within-speaker spread, which weighs each
 *    dimension by how well it tells speakers apart rather than by its spread over the recording (which the
 *    differences between speakers inflate).
 *
 * Optional anchors (enrolled voice profiles) seed clusters: windows close to an anchor start as one cluster, and two
 * anchors' clusters never merge.
 */

/** Most speakers considered when the count is not given. */
export const MAX_SPEAKERS = 8;
/** A cluster needs this many windows to count as a speaker: one stray window is more often noise or two voices. */
export const MIN_CLUSTER_WINDOWS = 2;
/**
 * Separation needed to keep two clusters apart, measured on espeak voices with the baseline embedder (bench
 * diarization). Effect size: mean over dimensions of the squared gap between the centroids in within-speaker
 * variances. Chance splits of one voice: about 2.2 for 10 windows falling to 0.9 for 80; two distinct voices 2.7 and
 * up, typically 15; two voices of one pitch 1.5–1.9 (kept together: telling them apart would also split monologues).
 */
const MIN_SEPARATION_EFFECT = 2;
/**
 * Significance: the effect size times the effective number of windows (nA·nB/(nA+nB)), divided by 1 + 2/ν where ν =
 * windows − clusters is how many degrees of freedom the within-speaker variance was estimated from (statistics with an
 * estimated variance run larger by about ν/(ν−2); this is that factor without its pole). Chance splits of 8–20
 * windows of one voice reach 5–6 at the 90th percentile; distinct voices with 3+ windows each mostly 8 and up.
 */
const MIN_SEPARATION_F = 6;
/**
 * A pair is judged by its own variance too (pairVariance) only when its larger cluster has this many windows (about
 * 20 s of one voice): there a voice that varies more than the others split in two (the bench's lowest voice did, at
 * 86 Hz); below it the pooled variance is the better estimate (short three-voice conversations merged two voices
 * otherwise). Measured with bench diarization and the diarize unit tests: 6 merges voices, 8 splits one again.
 */
const PAIR_VARIANCE_MIN_WINDOWS = 7;
/** A window seeds an anchor's cluster when its effect-size distance to the anchor is at most this (see above). */
const ANCHOR_RADIUS = 1.5;
/** Re-assignment to the nearest centroid settles within a few rounds; this bounds it. */
const MAX_REASSIGN_ROUNDS = 10;
/** Within-speaker variances are floored at this fraction of the dimension's spread (identical windows give 0). */
const MIN_WITHIN_VARIANCE = 1e-6;

export interface SpeakerClusteringOptions {
  /** When known, exactly this many clusters are formed (fewer only with fewer windows). */
  numClusters?: number;
  /** Enrolled voices from the same embedder; see the module comment. */
  anchors?: Float32Array[];
}

export interface SpeakerClustering {
  /** Cluster per embedding, numbered 0, 1, … in order of first appearance. */
  labels: number[];
  /** Per anchor, the cluster its windows seeded; null when no window was close enough to it. */
  anchorClusters: (number | null)[];
}

type Points = Float64Array[];

export function clusterSpeakers(embeddings: Float32Array[], options: SpeakerClusteringOptions = {}): SpeakerClustering {
  const anchors = options.anchors ?? [];
  if (embeddings.length === 0) return { labels: [], anchorClusters: anchors.map(() => null) };
  const normalise = standardizer(embeddings.map(unitLength));
  const points = embeddings.map((e) => normalise(unitLength(e)));

  // First pass without anchors: its clusters give the within-speaker spread the second pass is measured in.
  const first = clusterPass(points, [], options.numClusters);
  const within = pooledWithinVariance(points, first);
  const whiten = (p: Float64Array) => p.map((v, d) => v / Math.sqrt(within[d]));
  const whitened = points.map(whiten);
  const seeds = seedAnchors(
    whitened,
    anchors.map((a) => whiten(normalise(unitLength(a)))),
  );
  const labels = clusterPass(whitened, seeds, options.numClusters);
  const numbered = numberByFirstAppearance(labels);
  return {
    labels: numbered,
    anchorClusters: seeds.map((group) => (group.length ? numbered[group[0]] : null)),
  };
}

/** One clustering pass: Ward tree, number of clusters, then re-segmentation. `seeds[a]` are anchor a's windows. */
function clusterPass(points: Points, seeds: number[][], numClusters?: number): number[] {
  const n = points.length;
  const groups = initialGroups(n, seeds);
  const anchored = new Set(groups.flatMap((g, i) => (i < seeds.length && g.length ? [i] : [])));
  const tree = wardTree(points, groups, anchored);
  if (numClusters !== undefined) return reassign(points, cutTree(tree, numClusters), seeds);
  const maxK = Math.min(MAX_SPEAKERS, Math.floor(n / MIN_CLUSTER_WINDOWS));
  let labels = cutTree(tree, chooseClusterCount(points, tree, maxK));
  labels = dissolveSmallClusters(points, labels, seeds);
  labels = reassign(points, labels, seeds);
  return mergeInseparable(points, labels, seeds);
}

// ---- normalisation ----

function unitLength(e: Float32Array): Float32Array {
  let norm = 0;
  for (const v of e) norm += v * v;
  norm = Math.sqrt(norm);
  return norm === 0 ? e : e.map((v) => v / norm);
}

/**
 * Subtracts the recording's mean embedding and divides each dimension by its standard deviation; returns the mapping
 * (applied to anchors too). A dimension without spread carries no information and becomes 0.
 */
export function standardizer(embeddings: Float32Array[]): (e: Float32Array) => Float64Array {
  const dims = embeddings[0]?.length ?? 0;
  const mean = new Float64Array(dims);
  const scale = new Float64Array(dims);
  for (const e of embeddings) for (let d = 0; d < dims; d++) mean[d] = mean[d] + e[d] / embeddings.length;
  for (const e of embeddings) for (let d = 0; d < dims; d++) scale[d] = scale[d] + (e[d] - mean[d]) ** 2;
  for (let d = 0; d < dims; d++) scale[d] = Math.sqrt(scale[d] / embeddings.length);
  return (e) => Float64Array.from({ length: dims }, (_, d) => (scale[d] > 0 ? (e[d] - mean[d]) / scale[d] : 0));
}

/**
 * Subtracts the recording's mean embedding from every embedding. Weight-free embeddings share a large common component
 * (everything is "speech through this microphone"), so raw cosines are all near 1; what distinguishes speakers is how
 * each segment departs from the recording's average.
 */
export function centerEmbeddings(embeddings: Float32Array[]): Float32Array[] {
  if (embeddings.length === 0) return [];
  const mean = new Float64Array(embeddings[0].length);
  for (const e of embeddings) for (let d = 0; d < mean.length; d++) mean[d] = mean[d] + e[d] / embeddings.length;
  return embeddings.map((e) => e.map((v, d) => v - mean[d]));
}

// ---- Ward tree ----

export interface WardTree {
  /** Initial clusters (point indices): anchor seeds first, then every other point alone. */
  groups: number[][];
  /** Merges in order of increasing Ward distance, as pairs of group indices (a cluster is named by any member). */
  merges: [number, number][];
}

/** Anchor seed groups (possibly empty), then one group per remaining point. */
function initialGroups(n: number, seeds: number[][]): number[][] {
  const seeded = new Set(seeds.flat());
  return [...seeds, ...Array.from({ length: n }, (_, i) => i).flatMap((i) => (seeded.has(i) ? [] : [[i]]))];
}

/**
 * Ward agglomeration from the given initial groups (empty ones are ignored). Two groups in `apart` never merge, nor
 * do clusters containing them, so the tree may stop with more than one cluster. O(n²) memory, about O(n²) time.
 */
export function wardTree(points: Points, groups: number[][], apart = new Set<number>()): WardTree {
  const g = groups.length;
  const size = groups.map((m) => m.length);
  const centroids = groups.map((m) => centroid(points, m));
  // Ward distance 2·nA·nB/(nA+nB)·|μA−μB|² (twice the increase in within-cluster sum of squares), updated by the
  // Lance–Williams formula; Infinity for pairs that must stay apart, which the formula keeps infinite.
  const dist = new Float64Array(g * g);
  for (let i = 0; i < g; i++) {
    for (let j = i + 1; j < g; j++) {
      const apartPair = apart.has(i) && apart.has(j);
      const value = apartPair
        ? Infinity
        : (2 * size[i] * size[j] * squaredDistance(centroids[i], centroids[j])) / (size[i] + size[j]);
      dist[i * g + j] = dist[j * g + i] = value;
    }
  }
  const active = new Set(groups.flatMap((m, i) => (m.length ? [i] : [])));
  // Each cluster's nearest other cluster: finding the closest pair is then O(n), not O(n²), per merge.
  const best = new Array<number>(g).fill(-1);
  const nearest = (i: number) => {
    let bestJ = -1;
    for (const j of active) if (j !== i && (bestJ < 0 || dist[i * g + j] < dist[i * g + bestJ])) bestJ = j;
    best[i] = bestJ;
  };
  for (const i of active) nearest(i);

  const merges: [number, number][] = [];
  while (active.size > 1) {
    let a = -1;
    for (const i of active) if (best[i] >= 0 && (a < 0 || dist[i * g + best[i]] < dist[a * g + best[a]])) a = i;
    const b = best[a];
    if (!Number.isFinite(dist[a * g + b])) break;
    active.delete(b);
    for (const c of active) {
      if (c === a) continue;
      const total = size[a] + size[b] + size[c];
      const d =
        ((size[a] + size[c]) * dist[a * g + c] + (size[b] + size[c]) * dist[b * g + c] - size[c] * dist[a * g + b]) /
        total;
      dist[a * g + c] = dist[c * g + a] = d;
    }
    size[a] = size[a] + size[b];
    merges.push([a, b]);
    for (const c of active) {
      if (c === a || best[c] === a || best[c] === b) nearest(c);
      else if (dist[c * g + a] < dist[c * g + best[c]]) best[c] = a;
    }
  }
  return { groups, merges };
}

/**
 * Labels per point with `k` clusters: the first (clusters − k) merges applied. With fewer possible merges (anchors
 * kept apart), as few clusters as the tree allows. Labels are arbitrary integers.
 */
export function cutTree(tree: WardTree, k: number): number[] {
  const parent = tree.groups.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i]!;
    return i;
  };
  const clusters = tree.groups.filter((m) => m.length).length;
  for (const [a, b] of tree.merges.slice(0, Math.max(0, clusters - Math.max(1, k)))) parent[root(b)] = root(a);
  const labels: number[] = [];
  tree.groups.forEach((members, i) => {
    for (const p of members) labels[p] = root(i);
  });
  return labels;
}

// ---- number of speakers ----

export interface Separation {
  /** Mean over dimensions of (μA − μB)² / within-speaker variance. */
  effect: number;
  /** effect × nA·nB/(nA+nB) / (1 + 2/ν): see MIN_SEPARATION_F. */
  f: number;
  /** Windows in the smaller cluster. */
  smaller: number;
}

/** How clearly clusters `a` and `b` of `labels` are two speakers, given the within-speaker variance per dimension. */
export function separation(points: Points, labels: number[], a: number, b: number, within: Float64Array): Separation {
  const inA = labels.flatMap((l, i) => (l === a ? [i] : []));
  const inB = labels.flatMap((l, i) => (l === b ? [i] : []));
  const [ca, cb] = [centroid(points, inA), centroid(points, inB)];
  let effect = 0;
  for (let d = 0; d < within.length; d++) effect += (ca[d] - cb[d]) ** 2 / within[d];
  effect /= Math.max(1, within.length);
  const dof = Math.max(1, labels.length - new Set(labels).size);
  const f = (effect * inA.length * inB.length) / (inA.length + inB.length) / (1 + 2 / dof);
  return { effect, f, smaller: Math.min(inA.length, inB.length) };
}

export function isSeparated(s: Separation): boolean {
  return s.effect >= MIN_SEPARATION_EFFECT && s.f >= MIN_SEPARATION_F && s.smaller >= MIN_CLUSTER_WINDOWS;
}

/**
 * Per-dimension variance of points around their cluster's centroid, pooled over clusters (divided by n − clusters).
 * Floored at a tiny share of the dimension's overall variance, so identical windows do not divide by zero.
 */
export function pooledWithinVariance(points: Points, labels: number[]): Float64Array {
  const dims = points[0]?.length ?? 0;
  const clusters = [...new Set(labels)];
  const within = new Float64Array(dims);
  for (const c of clusters) {
    const members = indicesOf(labels, c);
    const mean = centroid(points, members);
    for (const i of members) for (let d = 0; d < dims; d++) within[d] = within[d] + (points[i][d] - mean[d]) ** 2;
  }
  const overall = new Float64Array(dims);
  const mean = centroid(
    points,
    points.map((_, i) => i),
  );
  for (const p of points) for (let d = 0; d < dims; d++) overall[d] = overall[d] + (p[d] - mean[d]) ** 2;
  const dof = Math.max(1, points.length - clusters.length);
  return within.map((w, d) => Math.max(w / dof, (MIN_WITHIN_VARIANCE * overall[d]) / points.length, Number.EPSILON));
}

/**
 * The largest k ≤ maxK whose tree merge from k to k − 1 clusters would join two clearly separated clusters (measured
 * with the within-speaker variance of the k-cluster cut); at least the tree's smallest possible count. The largest
 * rather than the first such k: with nested voices (two low ones and a high one) a middle merge can look unclear.
 */
export function chooseClusterCount(points: Points, tree: WardTree, maxK: number): number {
  const clusters = tree.groups.filter((m) => m.length).length;
  const minK = clusters - tree.merges.length;
  let chosen = minK;
  for (let k = minK + 1; k <= Math.min(maxK, clusters); k++) {
    const labels = cutTree(tree, k);
    const [a, b] = tree.merges[clusters - k];
    const root = (group: number) => labels[tree.groups[group][0]];
    const s = separation(points, labels, root(a), root(b), pooledWithinVariance(points, labels));
    if (isSeparated(s)) chosen = k;
  }
  return chosen;
}

// ---- re-segmentation ----

/** Clusters of fewer than MIN_CLUSTER_WINDOWS windows (and no anchor) give their windows to the nearest other one. */
function dissolveSmallClusters(points: Points, labels: number[], seeds: number[][]): number[] {
  const counts = countBy(labels);
  const locked = new Set(seeds.flat().map((i) => labels[i]));
  const kept = [...counts.keys()].filter((c) => counts.get(c)! >= MIN_CLUSTER_WINDOWS || locked.has(c));
  if (kept.length === 0) return labels.map(() => 0);
  const centroids = kept.map((c) => centroid(points, indicesOf(labels, c)));
  return labels.map((l, i) => (kept.includes(l) ? l : kept[nearestCentroid(points[i], centroids)]));
}

/**
 * K-means style: every window (except anchor seeds, which stay) moves to the nearest centroid until nothing moves. A
 * cluster left without windows disappears.
 */
export function reassign(points: Points, labels: number[], seeds: number[][] = []): number[] {
  const fixed = new Set(seeds.flat());
  let current = labels;
  for (let round = 0; round < MAX_REASSIGN_ROUNDS; round++) {
    const ids = [...new Set(current)];
    const centroids = ids.map((c) => centroid(points, indicesOf(current, c)));
    const next = current.map((l, i) => (fixed.has(i) ? l : ids[nearestCentroid(points[i], centroids)]));
    if (next.every((l, i) => l === current[i])) break;
    current = next;
  }
  return current;
}

/**
 * Merges the least separated pair of clusters while some pair is not clearly separated (never two anchors' clusters),
 * re-measuring the within-speaker variance after each merge.
 */
function mergeInseparable(points: Points, labels: number[], seeds: number[][]): number[] {
  const anchorOf = new Map<number, number>();
  seeds.forEach((group, a) => group.forEach((i) => anchorOf.set(labels[i], a)));
  let current = labels;
  for (;;) {
    const ids = [...new Set(current)];
    const within = pooledWithinVariance(points, current);
    let worst: { a: number; b: number; f: number } | null = null;
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        if (anchorOf.has(ids[i]) && anchorOf.has(ids[j])) continue;
        const s = separation(points, current, ids[i], ids[j], pairVariance(points, current, ids[i], ids[j], within));
        if (!isSeparated(s) && (!worst || s.f < worst.f)) worst = { a: ids[i], b: ids[j], f: s.f };
      }
    }
    if (!worst) return current;
    const { a, b } = worst;
    // The merged cluster keeps an anchor's id, so seeds stay recognisable.
    const [keep, drop] = anchorOf.has(b) ? [b, a] : [a, b];
    current = current.map((l) => (l === drop ? keep : l));
  }
}

/**
 * The within-speaker variance to judge one pair by: per dimension the larger of the recording's pooled variance and
 * the two clusters' own (when they have enough windows, PAIR_VARIANCE_MIN_WINDOWS). A voice that varies more than
 * the others (a low voice's pitch track, say) is then not split in two by differences that are ordinary for it.
 */
function pairVariance(points: Points, labels: number[], a: number, b: number, pooled: Float64Array): Float64Array {
  const members = labels.flatMap((l, i) => (l === a || l === b ? [i] : []));
  const sizes = [a, b].map((c) => labels.filter((l) => l === c).length);
  if (Math.max(...sizes) < PAIR_VARIANCE_MIN_WINDOWS || Math.min(...sizes) < MIN_CLUSTER_WINDOWS) return pooled;
  const pair = pooledWithinVariance(
    members.map((i) => points[i]),
    members.map((i) => labels[i]),
  );
  return pooled.map((v, d) => Math.max(v, pair[d]));
}

// ---- anchors ----

/**
 * Per anchor, the windows it seeds: those whose effect-size distance (mean squared difference per dimension, in
 * within-speaker units) to it is at most ANCHOR_RADIUS and smaller than to any other anchor. An anchor with fewer than
 * MIN_CLUSTER_WINDOWS such windows seeds nothing: a stray window is not evidence that the voice is in the recording.
 */
function seedAnchors(points: Points, anchors: Points): number[][] {
  if (anchors.length === 0) return [];
  const seeds = anchors.map((): number[] => []);
  points.forEach((p, i) => {
    const distances = anchors.map((a) => squaredDistance(p, a) / Math.max(1, p.length));
    const nearest = distances.reduce((best, d, a) => (d < distances[best] ? a : best), 0);
    if (distances[nearest] <= ANCHOR_RADIUS) seeds[nearest].push(i);
  });
  return seeds.map((group) => (group.length >= MIN_CLUSTER_WINDOWS ? group : []));
}

// ---- small helpers ----

function centroid(points: Points, members: number[]): Float64Array {
  const mean = new Float64Array(points[0]?.length ?? 0);
  for (const i of members) for (let d = 0; d < mean.length; d++) mean[d] = mean[d] + points[i][d] / members.length;
  return mean;
}

function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let d = 0; d < a.length; d++) sum += (a[d] - b[d]) ** 2;
  return sum;
}

function nearestCentroid(p: Float64Array, centroids: Float64Array[]): number {
  let best = 0;
  for (let c = 1; c < centroids.length; c++) {
    if (squaredDistance(p, centroids[c]) < squaredDistance(p, centroids[best])) best = c;
  }
  return best;
}

function indicesOf(labels: number[], c: number): number[] {
  return labels.flatMap((l, i) => (l === c ? [i] : []));
}

function countBy(labels: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return counts;
}

/** Renumbers labels 0, 1, … in order of first appearance. */
export function numberByFirstAppearance(labels: number[]): number[] {
  const number = new Map<number, number>();
  return labels.map((l) => {
    if (!number.has(l)) number.set(l, number.size);
    return number.get(l)!;
  });
}
