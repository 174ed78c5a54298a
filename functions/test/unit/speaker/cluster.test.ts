/** speaker/cluster.ts: centring and average-linkage clustering of segment embeddings, and the silhouette score. */
import { describe, expect, it } from "vitest";
import { centerEmbeddings, clusterEmbeddings, silhouetteScore } from "../../../src/speaker/cluster.js";
import { cosineSimilarity } from "../../../src/speaker/similarity.js";

/** Deterministic pseudo-random numbers in [-0.5, 0.5). */
function random(seed: number): () => number {
  return () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
}

/**
 * A large shared component (what every segment of one recording has in common) plus a small speaker direction and
 * noise.
 */
function syntheticEmbeddings(speakerOf: number[], dimension = 16, seed = 42): Float32Array[] {
  const rand = random(seed);
  const common = Array.from({ length: dimension }, () => 5 + rand());
  const speakers = Array.from({ length: Math.max(...speakerOf) + 1 }, () =>
    Array.from({ length: dimension }, () => rand()),
  );
  return speakerOf.map((s) => Float32Array.from(common, (c, d) => c + speakers[s][d] + 0.15 * rand()));
}

describe("centerEmbeddings", () => {
  it("subtracts the mean, so the shared component no longer makes everyone look alike", () => {
    const speakerOf = [0, 1, 0, 1, 0, 1];
    const raw = syntheticEmbeddings(speakerOf);
    const centered = centerEmbeddings(raw);
    expect(cosineSimilarity(raw[0], raw[1])).toBeGreaterThan(0.95);
    expect(cosineSimilarity(centered[0], centered[1])).toBeLessThan(0);
    expect(cosineSimilarity(centered[0], centered[2])).toBeGreaterThan(0.5);
    for (let d = 0; d < centered[0].length; d++) expect(centered.reduce((s, e) => s + e[d], 0)).toBeCloseTo(0, 4);
    expect(raw[0][0]).not.toBe(centered[0][0]); // inputs are not modified
    expect(centerEmbeddings([])).toEqual([]);
  });
});

describe("clusterEmbeddings", () => {
  it("recovers three speakers by threshold, numbering clusters by first appearance", () => {
    const speakerOf = [2, 0, 2, 1, 0, 1, 2, 0, 1, 1];
    const labels = clusterEmbeddings(centerEmbeddings(syntheticEmbeddings(speakerOf)), { threshold: 0.3 });
    expect(labels).toEqual([0, 1, 0, 2, 1, 2, 0, 1, 2, 2]);
  });

  it("without centring, the same vectors collapse into one cluster", () => {
    const labels = clusterEmbeddings(syntheticEmbeddings([0, 1, 0, 1, 2, 2]), { threshold: 0.3 });
    expect(new Set(labels).size).toBe(1);
  });

  it("forms exactly k clusters when k is given, merging the two closest speakers first", () => {
    const rand = random(3);
    const around = (center: number[]) => Float32Array.from(center, (c) => c + 0.05 * rand());
    // a and b point almost the same way; c is orthogonal to both.
    const [a, b, c] = [
      [1, 0.2, 0],
      [1, -0.2, 0],
      [0, 0, 1],
    ];
    const embeddings = [around(a), around(b), around(c), around(a), around(b), around(c)];
    expect(clusterEmbeddings(embeddings, { numClusters: 3 })).toEqual([0, 1, 2, 0, 1, 2]);
    expect(clusterEmbeddings(embeddings, { numClusters: 2 })).toEqual([0, 0, 1, 0, 0, 1]);
    expect(clusterEmbeddings(embeddings, { numClusters: 1 })).toEqual([0, 0, 0, 0, 0, 0]);
    expect(clusterEmbeddings(embeddings.slice(0, 2), { numClusters: 5 })).toEqual([0, 1]);
  });

  it("uses average linkage: one outlier similar to a single member does not pull in a tight cluster", () => {
    // x is close to p1 only; with single linkage {p1,p2,p3} would absorb x at similarity cos(x, p1).
    const p1 = Float32Array.from([1, 0.3, 0]);
    const p2 = Float32Array.from([1, 0, 0.05]);
    const p3 = Float32Array.from([1, -0.05, 0]);
    const x = Float32Array.from([0.6, 1, 0]);
    const threshold = 0.7;
    expect(cosineSimilarity(x, p1)).toBeGreaterThan(threshold);
    expect(clusterEmbeddings([p1, p2, p3, x], { threshold })).toEqual([0, 0, 0, 1]);
  });

  it("keeps everything apart when no pair reaches the threshold, and handles 0 and 1 items", () => {
    const orthogonal = [Float32Array.from([1, 0, 0]), Float32Array.from([0, 1, 0]), Float32Array.from([0, 0, 1])];
    expect(clusterEmbeddings(orthogonal, { threshold: 0.5 })).toEqual([0, 1, 2]);
    expect(clusterEmbeddings([], { threshold: 0.5 })).toEqual([]);
    expect(clusterEmbeddings([orthogonal[0]], { numClusters: 2 })).toEqual([0]);
  });

  it("scales to a long recording's worth of segments", () => {
    const speakerOf = Array.from({ length: 1200 }, (_, i) => Math.floor(i / 7) % 4);
    const started = performance.now();
    const labels = clusterEmbeddings(centerEmbeddings(syntheticEmbeddings(speakerOf, 50)), { threshold: 0.3 });
    const elapsedMs = performance.now() - started;
    console.info(`cluster: 1200 segments in ${elapsedMs.toFixed(0)} ms`);
    expect(new Set(labels).size).toBe(4);
    expect(elapsedMs).toBeLessThan(5000);
  });
});

describe("silhouetteScore", () => {
  it("is near 1 for tight, distant clusters, low for an arbitrary split of one group, and 0 with one cluster", () => {
    const separated = centerEmbeddings(syntheticEmbeddings([0, 1, 0, 1, 0, 1]));
    expect(silhouetteScore(separated, [0, 1, 0, 1, 0, 1])).toBeGreaterThan(0.8);
    expect(silhouetteScore(separated, [0, 0, 0, 1, 1, 1])).toBeLessThan(0.2);
    const oneSpeaker = centerEmbeddings(syntheticEmbeddings([0, 0, 0, 0, 0, 0, 0, 0]));
    expect(silhouetteScore(oneSpeaker, clusterEmbeddings(oneSpeaker, { numClusters: 2 }))).toBeLessThan(0.6);
    expect(silhouetteScore(separated, [0, 0, 0, 0, 0, 0])).toBe(0);
  });
});
