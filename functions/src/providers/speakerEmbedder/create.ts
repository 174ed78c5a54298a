/**
 * Chooses the speaker embedder from configuration: a wespeaker-style ONNX model fetched from SPEAKER_MODEL_URI
 * (checked against SPEAKER_MODEL_SHA256), else one at SPEAKER_MODEL_PATH, otherwise the weight-free baseline (no
 * pretrained model ships in npm or Debian, so the baseline is the zero-config default). A model's calibration is read
 * from beside it. The ONNX adapter (and onnxruntime with it) is loaded only when a model is configured.
 */
import { resolve } from "node:path";
import * as logs from "../../logs.js";
import { BaselineSpeakerEmbedder } from "./baseline.js";
import type { SpeakerEmbedder } from "./types.js";

/** The config's speaker-model fields (a Config is one); the URI and digest may be left out. */
export interface SpeakerModelConfig {
  speakerModelPath: string;
  speakerModelUri?: string;
  speakerModelSha256?: string;
  speakerCalibrationSha256?: string;
  speakerModelThreads?: number;
}

/**
 * One embedder per model for the life of the instance: fetching and loading a real model (download, hash, session)
 * costs far more than an inference. Keyed by promise so concurrent first calls share one load.
 */
const embedders = new Map<string, Promise<SpeakerEmbedder>>();

/**
 * The embedder the configuration asks for: the model at `speakerModelUri` (wins when set), else at
 * `speakerModelPath` (checked against `speakerModelSha256` when that is set), else the baseline. The ONNX embedder
 * carries the calibration found beside its model (`calibration`, null when there is none; see scoring.ts).
 * Rejects with a SpeakerModelError when the model is missing, has another digest or is not a usable model, or its
 * calibration is malformed or measured for another model; a failed load is not cached, so a fixed model loads next
 * time.
 */
export function speakerEmbedderFor(config: SpeakerModelConfig): Promise<SpeakerEmbedder> {
  const uri = config.speakerModelUri?.trim() ?? "";
  const path = config.speakerModelPath.trim() && resolve(config.speakerModelPath.trim());
  const sha256 = config.speakerModelSha256?.trim().toLowerCase() ?? "";
  const calibrationSha256 = config.speakerCalibrationSha256?.trim().toLowerCase() ?? "";
  const threads = config.speakerModelThreads;
  const source = uri || path;
  const key = source && `${source}#${sha256}#${calibrationSha256}#${threads ?? "default"}`;
  let embedder = embedders.get(key);
  if (!embedder) {
    embedder = source
      ? loadModel({ model: source, fetched: Boolean(uri), sha256, calibrationSha256, threads })
      : Promise.resolve(new BaselineSpeakerEmbedder());
    embedders.set(key, embedder);
    embedder.catch(() => embedders.delete(key));
  }
  return embedder;
}

/** The ONNX embedder for a local `modelPath`, or the baseline when it is empty (no URI, no pinned digest). */
export function createSpeakerEmbedder(modelPath: string, intraOpNumThreads?: number): Promise<SpeakerEmbedder> {
  return speakerEmbedderFor({ speakerModelPath: modelPath, speakerModelThreads: intraOpNumThreads });
}

async function loadModel(m: {
  model: string;
  fetched: boolean;
  sha256: string;
  calibrationSha256: string;
  threads?: number;
}) {
  const [{ OnnxSpeakerEmbedder }, fetch] = await Promise.all([import("./onnx.js"), import("./modelFetch.js")]);
  // The model first: a model that is not the pinned one is the error to report, whatever its calibration says.
  const modelPath = m.fetched
    ? await fetch.fetchSpeakerModel(m.model, m.sha256)
    : m.sha256
      ? await fetch.verifySpeakerModelFile(m.model, m.sha256).then(() => m.model)
      : m.model;
  // A pinned model's calibration is pinned too: its threshold decides who is who.
  const calibration = await fetch.readSpeakerCalibration(m.model, {
    sha256: m.calibrationSha256,
    pinRequired: Boolean(m.sha256),
  });
  const embedder = await OnnxSpeakerEmbedder.load(modelPath, { intraOpNumThreads: m.threads, calibration });
  if (!calibration) logs.speakerCalibrationMissing({ model: m.model, calibration: fetch.calibrationUriFor(m.model) });
  return embedder;
}
