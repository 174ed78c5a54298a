/**
 * onnxruntime-node, loaded on first use: it is ~45 MB of native code, and only the functions that run a model (VAD,
 * speaker embeddings) should pay for it at cold start.
 */
import type * as OrtModule from "onnxruntime-node";

export type Ort = typeof OrtModule;

let runtime: Promise<Ort> | undefined;
export const onnxRuntime = (): Promise<Ort> => (runtime ??= import("onnxruntime-node"));
