/**
 * speaker/cluster.ts: per-recording normalisation, Ward clustering, the choice of the number of speakers, and anchors.
 */
import { describe, expect, it } from "vitest";
import {
  centerEmbeddings,
  clusterSpeakers,
  cutTree,
  isSeparated,
  numberByFirstAppearance,
  pooledWithinVariance,
  reassign,
  separation,
  standardizer,
  wardTree,
} from "../../../src/speaker/cluster.js";
import { cosineSimilarity } from "../../../src/speaker/similarity.js";

/** Deterministic pseudo-random numbers in [-0.5, 0.5). */
function random(seed: number): () => number {
  return () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
}

/** Roughly normal noise (sum of 4 uniforms), standard deviation ≈ 0.58. */
function gaussian(rand: () => number): number {
  return rand() + rand() + rand() + rand();
}

/**
 * A large shared component (what every segment of one recording has in common) plus a speaker direction of length
 * about `spread` and per-window noise of `noise` (drawn from `noiseSeed`, so other windows of the same voices can be
 * made).
 */
function syntheticEmbeddings(
  speakerOf: number[],
  {
    dimension = 16,
    seed = 42,
    spread = 1,
    noise = 0.15,
    noiseSeed = seed + 1,
  }: { dimension?: number; seed?: number; spread?: number; noise?: number; noiseSeed?: number } = {},
): Float32Array[] {
  const rand = random(seed);
  const common = Array.from({ length: dimension }, () => 5 + rand());
  const speakers = Array.from({ length: Math.max(...speakerOf) + 1 }, () =>
    Array.from({ length: dimension }, () => spread * rand()),
  );
  const jitter = random(noiseSeed);
  return speakerOf.map((s) => Float32Array.from(common, (c, d) => c + speakers[s][d] + noise * gaussian(jitter)));
}

/** Speaker i of `count`, taking turns of 1–4 windows: a conversation's order. */
function turnsOf(count: number, windows: number, seed = 7): number[] {
  const rand = random(seed);
  const out: number[] = [];
  while (out.length < windows) {
    const speaker = out.length < count ? out.length : Math.floor((rand() + 0.5) * count);
    out.push(...Array.from({ length: 1 + Math.floor((rand() + 0.5) * 4) }, () => speaker));
  }
  return out.slice(0, windows);
}

const toPoints = (embeddings: Float32Array[]) => embeddings.map((e) => Float64Array.from(e));

describe("centerEmbeddings and standardizer", () => {
  it("centring removes the shared component, so speakers no longer look alike", () => {
    const raw = syntheticEmbeddings([0, 1, 0, 1, 0, 1]);
    const centered = centerEmbeddings(raw);
    expect(cosineSimilarity(raw[0], raw[1])).toBeGreaterThan(0.95);
    expect(cosineSimilarity(centered[0], centered[1])).toBeLessThan(0);
    expect(cosineSimilarity(centered[0], centered[2])).toBeGreaterThan(0.5);
    expect(raw[0][0]).not.toBe(centered[0][0]); // inputs are not modified
    expect(centerEmbeddings([])).toEqual([]);
  });

  it("standardizing gives every dimension mean 0 and spread 1 over the recording, and 0 where nothing varies", () => {
    const embeddings = [Float32Array.from([1, 10, 5]), Float32Array.from([3, 30, 5]), Float32Array.from([5, 20, 5])];
    const standardize = standardizer(embeddings);
    const out = embeddings.map(standardize);
    for (let d = 0; d < 2; d++) {
      expect(out.reduce((s, e) => s + e[d], 0)).toBeCloseTo(0, 10);
      expect(out.reduce((s, e) => s + e[d] ** 2, 0) / out.length).toBeCloseTo(1, 10);
    }
    expect(out.map((e) => e[2])).toEqual([0, 0, 0]);
    // Another vector (an anchor) goes through the recording's mapping.
    expect([...standardize(Float32Array.from([3, 20, 9]))]).toEqual([0, 0, 0]);
  });
});

describe("wardTree and cutTree", () => {
  const points = toPoints(centerEmbeddings(syntheticEmbeddings([2, 0, 2, 1, 0, 1, 2, 0, 1, 1])));
  const groups = points.map((_, i) => [i]);

  it("recovers three speakers at k = 3, and merges as k decreases", () => {
    const tree = wardTree(points, groups);
    expect(tree.merges).toHaveLength(9);
    expect(numberByFirstAppearance(cutTree(tree, 3))).toEqual([0, 1, 0, 2, 1, 2, 0, 1, 2, 2]);
    expect(new Set(cutTree(tree, 1)).size).toBe(1);
    expect(new Set(cutTree(tree, 10)).size).toBe(10);
  });

  it("starts from given groups and never merges two groups marked apart", () => {
    // Windows 0 and 2 (same speaker) are seeded together; 1 and 4 (another speaker) seeded apart from them.
    const seeded = [[0, 2], [1, 4], ...[3, 5, 6, 7, 8, 9].map((i) => [i])];
    const tree = wardTree(points, seeded, new Set([0, 1]));
    const labels = cutTree(tree, 1);
    expect(new Set(labels).size).toBe(2); // as few as allowed
    expect(labels[0]).toBe(labels[2]);
    expect(labels[0]).not.toBe(labels[1]);
  });
});

describe("separation", () => {
  it("calls two distant groups two speakers, but not a split of one group or a cluster of one window", () => {
    const rand = random(11);
    const around = (center: number) => Float64Array.from({ length: 8 }, () => center + gaussian(rand));
    const two = [...Array.from({ length: 6 }, () => around(0)), ...Array.from({ length: 6 }, () => around(3))];
    const labels = two.map((_, i) => (i < 6 ? 0 : 1));
    const s = separation(two, labels, 0, 1, pooledWithinVariance(two, labels));
    expect(s.effect).toBeGreaterThan(10);
    expect(isSeparated(s)).toBe(true);

    const one = Array.from({ length: 12 }, () => around(0));
    const halves = one.map((_, i) => (i % 2 === 0 ? 0 : 1));
    expect(isSeparated(separation(one, halves, 0, 1, pooledWithinVariance(one, halves)))).toBe(false);

    const lone = two.map((_, i) => (i === 11 ? 1 : 0));
    expect(separation(two, lone, 0, 1, pooledWithinVariance(two, lone)).smaller).toBe(1);
    expect(isSeparated(separation(two, lone, 0, 1, pooledWithinVariance(two, lone)))).toBe(false);
  });
});

describe("reassign", () => {
  it("moves windows to the nearest centroid, except anchor seeds", () => {
    const points = [[0], [0.2], [0.1], [5], [5.2], [4.9]].map((p) => Float64Array.from(p));
    expect(reassign(points, [0, 0, 1, 1, 1, 1])).toEqual([0, 0, 0, 1, 1, 1]);
    expect(reassign(points, [0, 0, 1, 1, 1, 1], [[2]])).toEqual([0, 0, 1, 1, 1, 1]);
  });
});

describe("clusterSpeakers", () => {
  it.each([1, 2, 3, 4, 5, 6])("finds %i speaker(s) among 40 windows", (count) => {
    const speakerOf = turnsOf(count, 40);
    const { labels } = clusterSpeakers(syntheticEmbeddings(speakerOf, { dimension: 24, seed: count }));
    expect(labels).toEqual(numberByFirstAppearance(speakerOf));
  });

  it("keeps one speaker in a long monologue: many windows make any split significant, not large", () => {
    const speakerOf = new Array<number>(300).fill(0);
    const { labels } = clusterSpeakers(syntheticEmbeddings(speakerOf, { dimension: 24, noise: 1 }));
    expect(new Set(labels).size).toBe(1);
  });

  it("calls a few windows one speaker rather than guess, and handles 0 and 1 windows", () => {
    const three = syntheticEmbeddings([0, 1, 2]);
    expect(clusterSpeakers(three).labels).toEqual([0, 0, 0]);
    expect(clusterSpeakers([]).labels).toEqual([]);
    expect(clusterSpeakers([three[0]]).labels).toEqual([0]);
  });

  it("forms exactly the given number of clusters", () => {
    const embeddings = syntheticEmbeddings(turnsOf(3, 30));
    expect(new Set(clusterSpeakers(embeddings, { numClusters: 2 }).labels).size).toBe(2);
    expect(new Set(clusterSpeakers(embeddings, { numClusters: 3 }).labels).size).toBe(3);
  });

  it("anchors seed their speakers' clusters, keep two close voices apart, and ignore voices not present", () => {
    // Two voices closer than the separation needed: without anchors they are one speaker.
    const speakerOf = turnsOf(2, 30);
    const voices = { dimension: 24, spread: 0.22 };
    const embeddings = syntheticEmbeddings(speakerOf, voices);
    expect(new Set(clusterSpeakers(embeddings).labels).size).toBe(1);

    // Profiles as enrollment makes them: the mean over other windows of each voice. And a voice not in the recording.
    const enrollment = syntheticEmbeddings(speakerOf, { ...voices, noiseSeed: 99 });
    const profile = (speaker: number) => {
      const own = enrollment.filter((_, i) => speakerOf[i] === speaker);
      return Float32Array.from(own[0], (_, d) => own.reduce((s, e) => s + e[d], 0) / own.length);
    };
    const absent = Float32Array.from({ length: 24 }, (_, d) => (d % 2 ? 20 : -20));
    const { labels, anchorClusters } = clusterSpeakers(embeddings, { anchors: [profile(1), absent, profile(0)] });

    expect(new Set(labels).size).toBe(2);
    // Each anchor's cluster holds (nearly) only its voice's windows.
    const [cluster1, none, cluster0] = anchorClusters;
    expect(none).toBeNull();
    expect(cluster0).not.toBe(cluster1);
    const right = labels.filter((l, i) => l === (speakerOf[i] === 0 ? cluster0 : cluster1)).length;
    expect(right / labels.length).toBeGreaterThanOrEqual(0.9);
  });

  it("clusters a long recording's worth of windows (how fast is for the bench, not a test)", () => {
    const speakerOf = Array.from({ length: 1200 }, (_, i) => Math.floor(i / 7) % 4);
    const { labels } = clusterSpeakers(syntheticEmbeddings(speakerOf, { dimension: 50 }));
    expect(labels).toEqual(numberByFirstAppearance(speakerOf));
  });
});
