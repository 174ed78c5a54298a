/**
 * `npm run bench` (speaker part):
 *  - speaker-embedding real-time factor on ~60 s of speech: the baseline, and the ONNX path on generated models (the
 *    weight-free stats-pooling fixture, and a random TDNN about the size of a real speaker model, to choose the ORT
 *    thread count);
 *  - speaker identification on espeak voices: each voice enrolled from ~12 s (four utterances, meanEmbedding), then
 *    tested with other sentences of 2–6 s through matchSpeakers, one voice at a time held out as an unenrolled
 *    impostor. Accuracy, false-accept and false-reject rates over a threshold sweep, and the threshold we recommend.
 * Prints JSON and writes bench-results/speaker.json. Figures only; nothing here asserts.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "vitest";
import { concatSamples, decodeWavSamples } from "../src/audio/pcm.js";
import { BaselineSpeakerEmbedder } from "../src/providers/speakerEmbedder/baseline.js";
import { fbank } from "../src/speaker/features.js";
import type { VoiceProfile } from "../src/model/speaker.js";
import { matchSpeakers, meanEmbedding } from "../src/speaker/matching.js";
import { OnnxSpeakerEmbedder } from "../src/providers/speakerEmbedder/onnx.js";
import type { SpeakerEmbedder } from "../src/model/speaker.js";
import { cosineSimilarity } from "../src/speaker/similarity.js";
import { writeProjectionModel, writeRandomTdnnModel, writeStatsPoolingModel } from "../test/support/onnxFixture.js";
import { speak } from "../test/support/speech.js";

const SR = 16_000;
/**
 * Distinct espeak-ng 1.51 voices (byte-identical output was checked: "en" = "en-gb" = "en-gb+f3", so only en-gb is
 * used).
 */
const VOICES = ["en-us", "en+f3", "en-us+m7", "en+f5", "en-us+m3", "en-gb", "en+m2", "en-us+f4"];
const ENROLL_SENTENCES = [
  "I think we should start the project next week if the budget is approved.",
  "The last release had a few problems with the mobile application.",
  "We need to decide where the team dinner is going to be this month.",
  "Remind me to call the landlord about the heating in the office.",
];
const TEST_SENTENCES = [
  "Can you send me the numbers from the survey before Friday afternoon?",
  "That sounds reasonable, but we need to check with the design team first.",
  "Sure, I will put them in a short report for you.",
  "There is a new place near the station that everyone keeps talking about these days.",
  "Let us book a table for twelve people on Thursday evening.",
  "My sister is coming to visit us next month with her two children.",
  "The train was late again this morning because of the snow.",
  "If it rains tomorrow we can move the meeting inside, order some pizza for everyone and watch the match together.",
];
/**
 * The baseline's raw cosines all sit near 1 (its log-F0 mean, weighted ×16, dominates the vector), so the sweep is
 * coarse below 0.98 and fine above it.
 */
const THRESHOLDS = [
  ...[0.8, 0.85, 0.9, 0.95, 0.96, 0.97],
  ...Array.from({ length: 19 }, (_, i) => round(0.98 + i * 0.001, 4)),
  ...Array.from({ length: 10 }, (_, i) => round(0.999 + i * 0.0001, 4)),
];
/** Centred cosines spread over [-1, 1]; the decisions happen above 0.85. */
const CENTRED_THRESHOLDS = [
  ...Array.from({ length: 17 }, (_, i) => round(0.05 * (i + 1), 2)),
  ...Array.from({ length: 14 }, (_, i) => round(0.86 + 0.01 * i, 2)),
];
/**
 * A wrong `is_user` is worse than an unknown speaker: the recommended threshold keeps false accepts at or below this.
 */
const MAX_FALSE_ACCEPT_RATE = 0.01;

type Utterance = { voice: string; samples: Float32Array };
type Embedded = { voice: string; embedding: Float32Array };

it("speaker embedding: real-time factor and speaker-ID accuracy", async () => {
  const fixtureDir = await mkdtemp(join(tmpdir(), "speaker-bench-"));
  try {
    const enroll = await synthesize(ENROLL_SENTENCES);
    const test = await synthesize(TEST_SENTENCES);
    const baseline = new BaselineSpeakerEmbedder();
    const models = {
      stats: await writeStatsPoolingModel({ dir: fixtureDir }),
      projection: await writeProjectionModel({ dir: fixtureDir, outputDim: 64 }),
      tdnn: await writeRandomTdnnModel({ dir: fixtureDir }),
    };

    const results = {
      benchmark: "speaker-embedding",
      realTimeFactor: await measureRealTimeFactors(test, baseline, models),
      speakerId: {
        embedder: baseline.modelId,
        voices: VOICES,
        enrollmentSecondsPerVoice: range(VOICES.map((v) => seconds(enroll.filter((u) => u.voice === v)))),
        testUtteranceSeconds: range(test.map((u) => u.samples.length / SR)),
        ...(await speakerIdentification(baseline, enroll, test)),
      },
      // For comparison only: weight-free pooling statistics through the ONNX path (not a real speaker model).
      speakerIdOnnxStatsPooling: await summaryOnly(
        await OnnxSpeakerEmbedder.load(models.stats, { intraOpNumThreads: 1 }),
        enroll,
        test,
      ),
    };
    console.log(JSON.stringify(results, null, 2));
    await mkdir(new URL("../../bench-results/", import.meta.url), { recursive: true });
    await writeFile(
      new URL("../../bench-results/speaker.json", import.meta.url),
      `${JSON.stringify(results, null, 2)}\n`,
    );
  } finally {
    await rm(fixtureDir, { recursive: true, force: true });
  }
}, 900_000);

/**
 * Every sentence in every voice, espeak's silence padding trimmed (finding speech is the VAD's job, not the
 * embedder's).
 */
async function synthesize(sentences: string[]): Promise<Utterance[]> {
  const utterances: Utterance[] = [];
  for (const voice of VOICES) {
    const spoken = await Promise.all(
      sentences.map(async (text) => trimSilence(decodeWavSamples(await speak(text, voice)).samples)),
    );
    utterances.push(...spoken.map((samples) => ({ voice, samples })));
  }
  return utterances;
}

function trimSilence(samples: Float32Array): Float32Array {
  const audible = (x: number) => Math.abs(x) > 1e-3;
  return samples.subarray(samples.findIndex(audible), samples.findLastIndex(audible) + 1);
}

// ---- real-time factor ----

async function measureRealTimeFactors(
  test: Utterance[],
  baseline: SpeakerEmbedder,
  models: Record<"stats" | "projection" | "tdnn", string>,
) {
  // ~60 s: test sentences of two voices, back to back with 0.3 s pauses.
  const parts = test.filter((u) => u.voice === "en-us" || u.voice === "en+f3");
  const gap = new Float32Array(0.3 * SR);
  const pieces: Float32Array[] = [];
  while (seconds(pieces.map((samples) => ({ samples }))) < 60)
    pieces.push(parts[pieces.length % parts.length].samples, gap);
  const audio = concatSamples(pieces);
  const audioS = audio.length / SR;
  // Diarization embeds 3 s windows; identification embeds whole speaker turns. Both shapes are timed.
  const windows = Array.from({ length: Math.floor(audioS / 3) }, (_, i) =>
    audio.subarray(i * 3 * SR, (i + 1) * 3 * SR),
  );

  const time = async (work: () => Promise<unknown>) => {
    await work(); // warm-up: first-run allocations and ORT's lazy initialisation
    // The fastest of five: other work on the machine only ever adds time, so the minimum is the least disturbed run.
    let fastest = Infinity;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await work();
      fastest = Math.min(fastest, (performance.now() - started) / 1000);
    }
    return round(fastest / audioS, 5);
  };
  const rtf = async (embedder: SpeakerEmbedder) => ({
    whole60s: await time(() => embedder.embed(audio)),
    windows3s: await time(async () => {
      for (const w of windows) await embedder.embed(w);
    }),
  });

  const onnx = async (path: string, threads: number) => {
    const embedder = await OnnxSpeakerEmbedder.load(path, { intraOpNumThreads: threads });
    try {
      return await rtf(embedder);
    } finally {
      await embedder.release();
    }
  };
  return {
    audioSeconds: round(audioS, 1),
    baseline: await rtf(baseline),
    fbankOnly: await time(async () => fbank(audio, SR)),
    onnxStatsPooling: { threads1: await onnx(models.stats, 1), threads2: await onnx(models.stats, 2) },
    onnxProjection64: { threads1: await onnx(models.projection, 1), threads2: await onnx(models.projection, 2) },
    onnxRandomTdnn: {
      note: "random weights, ~3.9 M parameters (ECAPA-C512 ~6 M): timing only",
      threads1: await onnx(models.tdnn, 1),
      threads2: await onnx(models.tdnn, 2),
    },
  };
}

// ---- speaker identification ----

async function embedAll(embedder: SpeakerEmbedder, utterances: Utterance[]): Promise<Embedded[]> {
  const embedded: Embedded[] = [];
  for (const u of utterances) {
    const embedding = await embedder.embed(u.samples);
    if (!embedding)
      throw new Error(`${embedder.modelId} gave no embedding for a ${u.samples.length / SR} s ${u.voice} utterance`);
    embedded.push({ voice: u.voice, embedding });
  }
  return embedded;
}

function enrolledProfiles(enroll: Embedded[], voices: string[]): VoiceProfile[] {
  return voices.map((voice, i) => ({
    id: voice,
    kind: i === 0 ? "user" : "person",
    embedding: meanEmbedding(enroll.filter((e) => e.voice === voice).map((e) => e.embedding))!,
  }));
}

interface Outcome {
  genuine: number;
  correct: number;
  wrongProfile: number;
  rejected: number;
  impostor: number;
  impostorAccepted: number;
}

/**
 * How embeddings are compared. "raw" is what matching.ts does today. "centred" subtracts a background mean (here the
 * mean of the enrolled profiles, standing in for a fixed mean of many voices that would ship with the code) from the
 * profiles and the test embedding before matchSpeakers: an experiment, to see what the raw comparison costs.
 */
type Comparison = "raw" | "centred";

/**
 * One trial per test utterance and held-out voice: with voice h unenrolled, every other voice's test utterances are
 * genuine trials and h's are impostor trials. Decisions are matchSpeakers' on that single speaker.
 */
function outcomeAt(threshold: number, enroll: Embedded[], test: Embedded[], comparison: Comparison): Outcome {
  const outcome: Outcome = { genuine: 0, correct: 0, wrongProfile: 0, rejected: 0, impostor: 0, impostorAccepted: 0 };
  for (const heldOut of VOICES) {
    let profiles = enrolledProfiles(
      enroll,
      VOICES.filter((v) => v !== heldOut),
    );
    let prepare = (e: Float32Array) => e;
    if (comparison === "centred") {
      const background = meanEmbedding(profiles.map((p) => p.embedding))!;
      prepare = (e) => {
        const norm = Math.hypot(...e);
        return e.map((v, i) => v / norm - background[i]);
      };
      profiles = profiles.map((p) => ({ ...p, embedding: prepare(p.embedding) }));
    }
    for (const t of test) {
      const match = matchSpeakers(new Map([["SPEAKER_00", prepare(t.embedding)]]), profiles, threshold).get(
        "SPEAKER_00",
      );
      if (t.voice === heldOut) {
        outcome.impostor++;
        if (match) outcome.impostorAccepted++;
      } else {
        outcome.genuine++;
        if (!match) outcome.rejected++;
        else if (match.profileId === t.voice) outcome.correct++;
        else outcome.wrongProfile++;
      }
    }
  }
  return outcome;
}

function rates(threshold: number, o: Outcome) {
  return {
    threshold,
    accuracy: round(o.correct / o.genuine, 4),
    falseAcceptRate: round((o.wrongProfile + o.impostorAccepted) / (o.genuine + o.impostor), 4),
    falseRejectRate: round(o.rejected / o.genuine, 4),
    impostorAcceptRate: round(o.impostorAccepted / o.impostor, 4),
    wrongProfileRate: round(o.wrongProfile / o.genuine, 4),
  };
}

/**
 * The sweep, and the threshold with the best accuracy among those with few false accepts (ties: the higher, safer one).
 */
function thresholdSweep(thresholds: number[], enroll: Embedded[], test: Embedded[], comparison: Comparison) {
  const sweep = thresholds.map((t) => rates(t, outcomeAt(t, enroll, test, comparison)));
  const allowed = sweep.filter((r) => r.falseAcceptRate <= MAX_FALSE_ACCEPT_RATE);
  const recommended = allowed.length
    ? allowed.reduce((best, r) =>
        r.accuracy > best.accuracy || (r.accuracy === best.accuracy && r.threshold > best.threshold) ? r : best,
      )
    : sweep.reduce((best, r) => (r.falseAcceptRate < best.falseAcceptRate ? r : best));
  return { sweep, recommended, feasible: allowed.length > 0 };
}

async function speakerIdentification(embedder: SpeakerEmbedder, enrollAudio: Utterance[], testAudio: Utterance[]) {
  const enroll = await embedAll(embedder, enrollAudio);
  const test = await embedAll(embedder, testAudio);
  const { sweep, recommended, feasible } = thresholdSweep(THRESHOLDS, enroll, test, "raw");
  const similarity = similarityAnalysis(enroll, test);
  const centred = thresholdSweep(CENTRED_THRESHOLDS, enroll, test, "centred");
  return {
    protocol: "each voice held out once as the unenrolled impostor, the others enrolled; one trial per test utterance",
    trialsAtRecommendedThreshold: outcomeAt(recommended.threshold, enroll, test, "raw"),
    definitions: {
      accuracy: "genuine trials whose top match is the right voice and above the threshold",
      falseAcceptRate: "(genuine trials matched to a wrong voice + impostor trials matched to any voice) / all trials",
      falseRejectRate: "genuine trials matched to nobody / genuine trials",
    },
    maxFalseAcceptRate: MAX_FALSE_ACCEPT_RATE,
    recommendedThreshold: recommended.threshold,
    atRecommendedThreshold: recommended,
    sweep,
    ...similarity,
    experimentCentred: {
      what:
        "matchSpeakers on embeddings minus a background mean (the enrolled profiles' mean); " +
        "not what matching.ts does",
      bestThresholdUnderMaxFalseAcceptRate: centred.recommended,
      sweep: centred.sweep,
    },
    notes: notesFrom(similarity, recommended, feasible, centred.recommended),
  };
}

/**
 * Cosine statistics and closed-set confusions (all voices enrolled, no threshold): which voices the embedder mixes up.
 */
function similarityAnalysis(enroll: Embedded[], test: Embedded[]) {
  const profiles = enrolledProfiles(enroll, VOICES);
  const genuine: number[] = [];
  const impostor: number[] = [];
  const confusions: { voice: string; confusedWith: string; fraction: number }[] = [];
  let closedSetCorrect = 0;
  for (const voice of VOICES) {
    const mine = test.filter((t) => t.voice === voice);
    const topCounts = new Map<string, number>();
    for (const t of mine) {
      const scored = profiles.map((p) => ({ id: p.id, cos: cosineSimilarity(t.embedding, p.embedding) }));
      for (const s of scored) (s.id === voice ? genuine : impostor).push(s.cos);
      const top = scored.reduce((a, b) => (b.cos > a.cos ? b : a));
      topCounts.set(top.id, (topCounts.get(top.id) ?? 0) + 1);
      if (top.id === voice) closedSetCorrect++;
    }
    for (const [other, count] of topCounts) {
      if (other !== voice) confusions.push({ voice, confusedWith: other, fraction: round(count / mine.length, 3) });
    }
  }
  return {
    cosine: {
      sameVoice: summarize(genuine),
      differentVoice: summarize(impostor),
      equalErrorRate: equalErrorRate(genuine, impostor),
    },
    closedSetTop1Accuracy: round(closedSetCorrect / test.length, 4),
    closedSetConfusions: confusions.sort((a, b) => b.fraction - a.fraction),
  };
}

type Rates = ReturnType<typeof rates>;

function notesFrom(
  similarity: ReturnType<typeof similarityAnalysis>,
  recommended: Rates,
  feasible: boolean,
  centred: Rates,
): string[] {
  const notes = [
    "Synthetic espeak voices (deterministic formant synthesis), not people: " +
      "real speakers vary far more between utterances.",
    `Raw (uncentred) cosines: same voice ${similarity.cosine.sameVoice.mean} mean ` +
      `(min ${similarity.cosine.sameVoice.min}), ` +
      `different voices ${similarity.cosine.differentVoice.mean} mean ` +
      `(max ${similarity.cosine.differentVoice.max}), so the threshold is high.`,
  ];
  if (!feasible)
    notes.push(
      `No threshold in the sweep keeps false accepts at or below ${MAX_FALSE_ACCEPT_RATE}; ` +
        "the one with the fewest is recommended.",
    );
  const mixed = similarity.closedSetConfusions.filter((c) => c.fraction >= 0.25);
  if (mixed.length) {
    notes.push(
      "Voices the baseline cannot tell apart reliably " +
        "(share of a voice's test utterances closest to another enrolled voice, all voices enrolled): " +
        `${mixed.map((c) => `${c.voice} → ${c.confusedWith} ${Math.round(c.fraction * 100)}%`).join(", ")}.`,
    );
  }
  notes.push(
    `At ${recommended.threshold}: accuracy ${recommended.accuracy}, false accepts ${recommended.falseAcceptRate}, ` +
      `false rejects ${recommended.falseRejectRate}. Unmatched speakers stay unknown, which is the safe failure.`,
    "These voices never vary between takes; real people do, so their same-speaker cosines will be lower " +
      "and a threshold this close to 1 will leave most real users unrecognised. " +
      "The baseline is fit for diarization, not for is_user decisions: " +
      "use a real model (SPEAKER_MODEL_PATH) and re-run this bench for its threshold.",
    "Centred on a background mean instead (experiment), " +
      `the best threshold under the same false-accept limit is ${centred.threshold}: ` +
      `accuracy ${centred.accuracy}, false accepts ${centred.falseAcceptRate}, ` +
      `false rejects ${centred.falseRejectRate}.`,
  );
  return notes;
}

async function summaryOnly(embedder: OnnxSpeakerEmbedder, enrollAudio: Utterance[], testAudio: Utterance[]) {
  try {
    const analysis = similarityAnalysis(await embedAll(embedder, enrollAudio), await embedAll(embedder, testAudio));
    return {
      embedder: embedder.modelId,
      cosine: analysis.cosine,
      closedSetTop1Accuracy: analysis.closedSetTop1Accuracy,
    };
  } finally {
    await embedder.release();
  }
}

/** The error rate where false accepts (impostor ≥ t) equal false rejects (genuine < t), scanning observed scores. */
function equalErrorRate(genuine: number[], impostor: number[]) {
  let best = { threshold: 0, rate: 1, gap: Infinity };
  for (const t of [...genuine, ...impostor].sort((a, b) => a - b)) {
    const far = impostor.filter((s) => s >= t).length / impostor.length;
    const frr = genuine.filter((s) => s < t).length / genuine.length;
    if (Math.abs(far - frr) < best.gap) best = { threshold: t, rate: (far + frr) / 2, gap: Math.abs(far - frr) };
  }
  return { rate: round(best.rate, 4), atCosine: round(best.threshold, 4) };
}

// ---- small helpers ----

function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    mean: round(values.reduce((s, v) => s + v, 0) / values.length, 4),
    min: round(sorted[0], 4),
    median: round(sorted[Math.floor(sorted.length / 2)], 4),
    max: round(sorted[sorted.length - 1], 4),
  };
}

function seconds(utterances: { samples: Float32Array }[]): number {
  return utterances.reduce((s, u) => s + u.samples.length, 0) / SR;
}

function range(values: number[]) {
  return { min: round(Math.min(...values), 2), max: round(Math.max(...values), 2) };
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
