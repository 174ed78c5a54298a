/**
 * Speaker embeddings from a wespeaker-style ONNX model (wespeaker, 3D-Speaker and sherpa-onnx exports share it):
 * input `feats` float32 [N, T, 80] log-mel filterbank frames, output `embs` [N, D]. The filterbank is computed here
 * (features.ts, Kaldi-like) and mean-normalised per utterance, as wespeaker does before its model. Which stretches of
 * audio are speech is the caller's concern (VAD); this embeds whatever it is given.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type { InferenceSession } from "onnxruntime-node";
import { onnxRuntime, type Ort } from "../../audio/onnxRuntime.js";
import { PipelineError } from "../../errors.js";
import type { SpeakerCalibration, SpeakerEmbedder } from "../../model/speaker.js";
import { FRAME_SHIFT_S, NUM_MEL_BINS, fbank } from "../../speaker/features.js";

const SAMPLE_RATE = 16_000;
/** Less than 0.5 s of frames says too little about a voice to be worth an embedding. */
const MIN_FRAMES = Math.round(0.5 / FRAME_SHIFT_S);
/**
 * Longer input is embedded in windows of at most 10 s and averaged: memory (the feats tensor and the model's
 * activations) stays bounded whatever the length, and speaker models are trained on a few seconds at a time anyway.
 */
const MAX_WINDOW_SAMPLES = 10 * SAMPLE_RATE;
/** Kaldi-trained models (wespeaker's `normalize_samples=0`) expect samples in int16 range, not [-1, 1]. */
const INT16_SCALE = 32768;
/**
 * bench/speaker.bench.ts on an idle 2-core machine: a ~4 M-parameter model runs 1.4x faster with 2 intra-op threads
 * than with 1 (RTF 0.008 vs 0.0115); tiny models do not care. With the other core busy, 2 threads were 1.4x slower, so
 * never more threads than cores: 2 by default, 1 on a single core (pass 1 where the function has cpu: 1).
 */
const DEFAULT_INTRA_OP_THREADS = Math.min(2, availableParallelism());

export interface OnnxEmbedderOptions {
  /** Threads for one inference; by default 2, or 1 on a single-core machine. */
  intraOpNumThreads?: number;
  /** The calibration read beside the model (create.ts), carried for scoring (scoring.ts). */
  calibration?: SpeakerCalibration | null;
}

/**
 * The model file is missing, unreadable, or not a usable speaker model: configuration, not a transient failure, so
 * it is a permanent pipeline error (a stage fails the job with this reason instead of retrying).
 */
export class SpeakerModelError extends PipelineError {
  override name = "SpeakerModelError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("speaker_model_invalid", message, false);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

export class OnnxSpeakerEmbedder implements SpeakerEmbedder {
  private constructor(
    private readonly ort: Ort,
    private readonly session: InferenceSession,
    readonly modelId: string,
    readonly dimension: number,
    private readonly io: { input: string; output: string; featureDim: number; sampleScale: number },
    readonly calibration: SpeakerCalibration | null = null,
  ) {}

  /** Reads and checks the model once (one session, reused by every call; `embed` calls may overlap). */
  static async load(modelPath: string, options: OnnxEmbedderOptions = {}): Promise<OnnxSpeakerEmbedder> {
    let bytes: Buffer;
    try {
      bytes = await readFile(modelPath);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String(error);
      throw new SpeakerModelError(`Speaker model ${modelPath}: ${reason}`, { cause: error });
    }
    const ort = await onnxRuntime();
    let session: InferenceSession;
    try {
      const threads = options.intraOpNumThreads ?? DEFAULT_INTRA_OP_THREADS;
      session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    } catch (error) {
      throw new SpeakerModelError(`Speaker model ${modelPath} is not a valid ONNX model: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      return await OnnxSpeakerEmbedder.checked(ort, session, bytes, modelPath, options.calibration ?? null);
    } catch (error) {
      await session.release().catch(() => undefined);
      throw error;
    }
  }

  /** Checks that the session has wespeaker's interface and works out how to feed it. */
  private static async checked(
    ort: Ort,
    session: InferenceSession,
    bytes: Buffer,
    modelPath: string,
    calibration: SpeakerCalibration | null,
  ): Promise<OnnxSpeakerEmbedder> {
    const fail = (why: string) =>
      new SpeakerModelError(`Speaker model ${modelPath} is not a wespeaker-style model: ${why}`);
    const metadata = readOnnxMetadataProps(bytes);
    const sampleRate = metadata.get("sample_rate");
    if (sampleRate !== undefined && Number(sampleRate) !== SAMPLE_RATE)
      throw fail(`it expects ${sampleRate} Hz audio, not ${SAMPLE_RATE} Hz`);
    if (session.inputNames.length !== 1)
      throw fail(`it has inputs ${session.inputNames.join(", ")}; expected one, feats [N, T, 80]`);
    const input = session.inputNames[0];
    const output = session.outputNames.includes("embs") ? "embs" : session.outputNames[0];
    const featureDim = featureDimOf(session.inputMetadata[0], fail);
    const sampleScale = metadata.get("normalize_samples") === "1" ? 1 : INT16_SCALE;

    // One run on a second of silence proves the model runs on [1, T, F] and tells us D when the metadata does not.
    const probe = new OnnxSpeakerEmbedder(ort, session, "", 0, { input, output, featureDim, sampleScale });
    let dimension: number;
    try {
      dimension = (await probe.runModel(Array.from({ length: 100 }, () => new Float32Array(featureDim)))).length;
    } catch (error) {
      throw fail(`a run on feats [1, 100, ${featureDim}] failed: ${(error as Error).message}`);
    }
    const declared = metadata.get("output_dim");
    if (declared !== undefined && Number(declared) !== dimension)
      throw fail(`metadata output_dim=${declared} but it outputs ${dimension} values`);

    // The file's hash, not its path: a model replaced at the same path must not be compared with stored embeddings.
    const modelId = `onnx:${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}`;
    if (calibration?.model_id !== undefined && calibration.model_id !== modelId)
      throw new SpeakerModelError(
        `Speaker model ${modelPath}: its calibration was measured for ${calibration.model_id}, not for this model ` +
          `(${modelId}); recalibrate it (npm run bench), or remove the calibration`,
      );
    const io = { input, output, featureDim, sampleScale };
    return new OnnxSpeakerEmbedder(ort, session, modelId, dimension, io, calibration);
  }

  /** L2-normalised embedding of 16 kHz mono samples in [-1, 1]; null below 0.5 s or for a silent input. */
  async embed(samples: Float32Array): Promise<Float32Array | null> {
    const windows = Math.ceil(samples.length / MAX_WINDOW_SAMPLES);
    // Equal windows, so the last is never a sliver that would count as much as a full one in the average.
    const windowLength = Math.ceil(samples.length / Math.max(1, windows));
    const sum = new Float32Array(this.dimension);
    let embedded = 0;
    for (let w = 0; w < windows; w++) {
      const window = samples.subarray(w * windowLength, (w + 1) * windowLength);
      const frames = fbank(this.scaled(window), SAMPLE_RATE, this.io.featureDim);
      if (frames.length < MIN_FRAMES) continue;
      subtractMean(frames);
      const embedding = await this.runModel(frames);
      const norm = Math.hypot(...embedding);
      if (norm === 0) continue;
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i] + embedding[i] / norm;
      embedded++;
    }
    if (embedded === 0) return null;
    const norm = Math.hypot(...sum);
    return norm === 0 ? null : sum.map((v) => v / norm);
  }

  release(): Promise<void> {
    return this.session.release();
  }

  private scaled(samples: Float32Array): Float32Array {
    return this.io.sampleScale === 1 ? samples : samples.map((v) => v * this.io.sampleScale);
  }

  /** One utterance: frames [T][F] → feats [1, T, F] (frame-major, as wespeaker) → embs [1, D]. */
  private async runModel(frames: Float32Array[]): Promise<Float32Array> {
    const { input, output, featureDim } = this.io;
    const feats = new Float32Array(frames.length * featureDim);
    frames.forEach((frame, t) => feats.set(frame, t * featureDim));
    const result = await this.session.run({
      [input]: new this.ort.Tensor("float32", feats, [1, frames.length, featureDim]),
    });
    const embs = result[output];
    if (embs.type !== "float32" || embs.dims.length !== 2 || embs.dims[0] !== 1) {
      throw new SpeakerModelError(
        `Speaker model output ${output} is ${embs.type} [${embs.dims.join(", ")}], expected float32 [1, D]`,
      );
    }
    if (this.dimension && embs.dims[1] !== this.dimension) {
      throw new SpeakerModelError(
        `Speaker model output ${output} has ${embs.dims[1]} values, expected ${this.dimension}`,
      );
    }
    const values = Float32Array.from(embs.data as Float32Array);
    if (!values.every(Number.isFinite)) throw new SpeakerModelError(`Speaker model output ${output} is not finite`);
    return values;
  }
}

/** Per-utterance cepstral mean normalisation (wespeaker's CMN, means only): removes the channel and the level. */
function subtractMean(frames: Float32Array[]): void {
  const mean = new Float64Array(frames[0].length);
  for (const frame of frames) for (let b = 0; b < frame.length; b++) mean[b] = mean[b] + frame[b];
  for (let b = 0; b < mean.length; b++) mean[b] = mean[b] / frames.length;
  for (const frame of frames) for (let b = 0; b < frame.length; b++) frame[b] = frame[b] - mean[b];
}

/** The feature dimension from the input's declared shape [N, T, F]; 80 (wespeaker's) when F is symbolic. */
function featureDimOf(metadata: InferenceSession.ValueMetadata | undefined, fail: (why: string) => Error): number {
  if (!metadata?.isTensor) return NUM_MEL_BINS;
  if (metadata.type !== "float32") throw fail(`its input is ${metadata.type}, expected float32`);
  if (metadata.shape.length === 0) return NUM_MEL_BINS;
  if (metadata.shape.length !== 3)
    throw fail(`its input has shape [${metadata.shape.join(", ")}], expected [N, T, 80]`);
  const dim = metadata.shape[2];
  return typeof dim === "number" && dim > 0 ? dim : NUM_MEL_BINS;
}

/**
 * The model's `metadata_props` (ModelProto field 14: repeated {key = 1, value = 2}), read straight from the protobuf
 * bytes because onnxruntime-node does not expose custom metadata. Only the top-level fields are walked, so the graph
 * and weights are skipped, not parsed. Anything malformed yields what was read so far.
 */
export function readOnnxMetadataProps(bytes: Uint8Array): Map<string, string> {
  const props = new Map<string, string>();
  try {
    for (const field of protobufFields(bytes)) {
      if (field.number !== 14 || !field.bytes) continue;
      let key = "";
      let value = "";
      for (const entry of protobufFields(field.bytes)) {
        if (!entry.bytes) continue;
        if (entry.number === 1) key = utf8.decode(entry.bytes);
        if (entry.number === 2) value = utf8.decode(entry.bytes);
      }
      props.set(key, value);
    }
  } catch {
    // Not protobuf after all: the session already accepted the file, so there is simply no metadata to use.
  }
  return props;
}

const utf8 = new TextDecoder();

/** Top-level fields of a protobuf message; length-delimited ones carry their bytes (a view, not a copy). */
function* protobufFields(bytes: Uint8Array): Generator<{ number: number; bytes?: Uint8Array }> {
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let scale = 1; ; scale *= 128) {
      if (at >= bytes.length) throw new Error("truncated varint");
      const byte = bytes[at++];
      value += (byte & 0x7f) * scale; // arithmetic, not bit shifts: lengths may exceed 32 bits
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const tag = varint();
    const number = Math.floor(tag / 8);
    switch (tag % 8) {
      case 0:
        varint();
        yield { number };
        break;
      case 1:
        at += 8;
        yield { number };
        break;
      case 2: {
        const length = varint();
        if (at + length > bytes.length) throw new Error("truncated field");
        yield { number, bytes: bytes.subarray(at, at + length) };
        at += length;
        break;
      }
      case 5:
        at += 4;
        yield { number };
        break;
      default:
        throw new Error(`unsupported wire type ${tag % 8}`);
    }
  }
}
