/**
 * A weight-free speaker embedding: statistics of MFCCs and log-F0 over the loud, voiced frames of a stretch of speech.
 * It is the zero-config default and test double where no pretrained speaker model is available (none is in npm or
 * Debian). It separates clearly different voices, not similar ones (docs/speakers.md "Embedders").
 */
import { speakerCalibrationSchema, type SpeakerEmbedder } from "../../model/speaker.js";
import calibration from "./baseline.calibration.json" with { type: "json" };
import { fbank, mfcc, pitchTrack } from "../../speaker/features.js";

const SAMPLE_RATE = 16_000;
/** c1..c24: c0 is overall loudness, which says more about the microphone distance than about the speaker. */
const NUM_CEPS = 24;
/** Frames more than this far (natural log of energy, ~30 dB) below the loud frames are background, not speech. */
const ENERGY_GATE = Math.log(1000);
/** Below 0.3 s of voiced speech the statistics are mostly noise. */
const MIN_VOICED_FRAMES = 30;
/**
 * Log-F0 is a 2-value summary next to 48 MFCC statistics. Weighted up, a voice an octave higher (log 2 ≈ 0.69) moves
 * the embedding about as far as the usual spread of the MFCC means between utterances, so pitch, the most
 * speaker-specific cue these features have, is not drowned out. Measured on espeak voices; it barely affects voices
 * of the same pitch.
 */
const LOG_F0_WEIGHT = 16;

export class BaselineSpeakerEmbedder implements SpeakerEmbedder {
  readonly modelId = "baseline-mfcc-f0-v1";
  readonly dimension = 2 * NUM_CEPS + 2;
  /**
   * Measured by `npm run bench` (speaker) on a background of ten generated voices and copied from
   * bench-results/speaker-calibration.json: the whitening background and the threshold on its scale.
   */
  readonly calibration = speakerCalibrationSchema.parse(calibration);

  async embed(samples: Float32Array): Promise<Float32Array | null> {
    const logMel = fbank(samples, SAMPLE_RATE);
    if (logMel.length === 0) return null;
    const f0 = pitchTrack(samples, SAMPLE_RATE);
    const energy = logMel.map(frameLogEnergy);
    const loud = percentile(energy, 0.9);
    const cepstra = mfcc(logMel, NUM_CEPS + 1);
    const kept: Float32Array[] = [];
    const logF0: number[] = [];
    for (let f = 0; f < logMel.length; f++) {
      if (f0[f] > 0 && energy[f] >= loud - ENERGY_GATE) {
        kept.push(cepstra[f].subarray(1));
        logF0.push(Math.log(f0[f]));
      }
    }
    if (kept.length < MIN_VOICED_FRAMES) return null;

    const embedding = new Float32Array(this.dimension);
    for (let c = 0; c < NUM_CEPS; c++) {
      const { mean, std } = meanStd(kept.map((frame) => frame[c]));
      embedding[c] = mean;
      embedding[NUM_CEPS + c] = std;
    }
    const pitch = meanStd(logF0);
    embedding[2 * NUM_CEPS] = LOG_F0_WEIGHT * pitch.mean;
    embedding[2 * NUM_CEPS + 1] = LOG_F0_WEIGHT * pitch.std;
    return embedding;
  }
}

/** log(sum of mel energies), from the log-mel values (log-sum-exp, stable). */
function frameLogEnergy(frame: Float32Array): number {
  const max = Math.max(...frame);
  let sum = 0;
  for (const v of frame) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}
