/** Speaker clustering of segment embeddings: centring over the recording, then average-linkage agglomeration. */
import { cosineSimilarity } from "./similarity.js";

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

export type ClusterStop = { threshold: number } | { numClusters: number };

/**
 * Average-linkage agglomerative clustering on cosine similarity. Merges the two most similar clusters until the best
 * similarity falls below `threshold`, or until `numClusters` remain. Returns a cluster index per embedding, numbered
 * 0, 1, … in order of first appearance.
 */
export function clusterEmbeddings(embeddings: Float32Array[], stop: ClusterStop): number[] {
  const n = embeddings.length;
  // Similarity between current clusters; row/column i stays valid while cluster i is active.
  const sim = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) sim[i * n + j] = sim[j * n + i] = cosineSimilarity(embeddings[i], embeddings[j]);
  }
  const size = new Array<number>(n).fill(1);
  const parent = Array.from({ length: n }, (_, i) => i);
  const active = new Set(parent);
  // Each cluster's most similar other cluster: finding the best pair is then O(n), not O(n²), per merge.
  const best = new Array<number>(n).fill(-1);
  const nearest = (i: number) => {
    let bestJ = -1;
    for (const j of active) if (j !== i && (bestJ < 0 || sim[i * n + j] > sim[i * n + bestJ])) bestJ = j;
    best[i] = bestJ;
  };
  for (const i of active) nearest(i);

  const target = "numClusters" in stop ? Math.max(1, stop.numClusters) : 1;
  while (active.size > target) {
    let a = -1;
    for (const i of active) if (best[i] >= 0 && (a < 0 || sim[i * n + best[i]] > sim[a * n + best[a]])) a = i;
    const b = best[a];
    if ("threshold" in stop && sim[a * n + b] < stop.threshold) break;
    // Merge b into a. Average linkage: the merged cluster's similarity is the size-weighted mean (Lance–Williams).
    active.delete(b);
    parent[b] = a;
    for (const c of active) {
      if (c === a) continue;
      const s = (size[a] * sim[a * n + c] + size[b] * sim[b * n + c]) / (size[a] + size[b]);
      sim[a * n + c] = sim[c * n + a] = s;
    }
    size[a] = size[a] + size[b];
    // Only similarities to a changed, so c's best is either unchanged or now a, unless it pointed at a or b.
    for (const c of active) {
      if (c === a || best[c] === a || best[c] === b) nearest(c);
      else if (sim[c * n + a] > sim[c * n + best[c]]) best[c] = a;
    }
  }

  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i]!;
    return i;
  };
  const labelOf = new Map<number, number>();
  return embeddings.map((_, i) => {
    const r = root(i);
    if (!labelOf.has(r)) labelOf.set(r, labelOf.size);
    return labelOf.get(r)!;
  });
}

/**
 * Mean silhouette of a labelling under cosine distance: near 1 when clusters are tight and far apart, near 0 when a
 * point is as close to another cluster as to its own. A point alone in its cluster counts 0, as usual.
 */
export function silhouetteScore(embeddings: Float32Array[], labels: number[]): number {
  const n = embeddings.length;
  const clusters = new Set(labels);
  if (clusters.size < 2) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sum = new Map<number, number>();
    const count = new Map<number, number>();
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const l = labels[j];
      sum.set(l, (sum.get(l) ?? 0) + 1 - cosineSimilarity(embeddings[i], embeddings[j]));
      count.set(l, (count.get(l) ?? 0) + 1);
    }
    const own = labels[i];
    if (!count.has(own)) continue;
    const within = sum.get(own)! / count.get(own)!;
    let nearestOther = Infinity;
    for (const l of clusters) if (l !== own) nearestOther = Math.min(nearestOther, sum.get(l)! / count.get(l)!);
    total += (nearestOther - within) / Math.max(within, nearestOther, Number.EPSILON);
  }
  return total / n;
}
