/**
 * Chooses the speaker embedder from configuration: a wespeaker-style ONNX model when a path is given, otherwise the
 * weight-free baseline (no pretrained model ships in npm or Debian, so the baseline is the zero-config default).
 * The ONNX adapter (and onnxruntime with it) is loaded only when a model is configured.
 */
import { resolve } from "node:path";
import { BaselineSpeakerEmbedder } from "./baseline.js";
import type { SpeakerEmbedder } from "./types.js";

/**
 * One embedder per model path for the life of the instance: loading a real model (file read, hash, session) costs
 * far more than an inference. Keyed by promise so concurrent first calls share one load.
 */
const embedders = new Map<string, Promise<SpeakerEmbedder>>();

/**
 * The ONNX embedder for `modelPath`, or the baseline when it is empty. Rejects with a SpeakerModelError naming the
 * path when the file is missing or is not a usable model; a failed load is not cached, so a fixed path loads next time.
 */
export function createSpeakerEmbedder(modelPath: string, intraOpNumThreads?: number): Promise<SpeakerEmbedder> {
  const path = modelPath.trim() && resolve(modelPath.trim());
  const key = path && `${path}#${intraOpNumThreads ?? "default"}`;
  let embedder = embedders.get(key);
  if (!embedder) {
    embedder = path
      ? import("./onnx.js").then(({ OnnxSpeakerEmbedder }) => OnnxSpeakerEmbedder.load(path, { intraOpNumThreads }))
      : Promise.resolve(new BaselineSpeakerEmbedder());
    embedders.set(key, embedder);
    embedder.catch(() => embedders.delete(key));
  }
  return embedder;
}
