/**
 * Tiny wespeaker-style speaker models (`feats [N, T, 80]` → `embs [N, D]`, with wespeaker's metadata props), built in
 * pure JS with onnx-proto. No pretrained speaker model is in npm or Debian (docs/speakers.md "Embedders"), so
 * these exercise the real ONNX loading and inference path; a real wespeaker/3D-Speaker export has the same interface.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { mulberry32 } from "./random.js";

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
/** Opset 13: ReduceMean still takes `axes` as an attribute there (opset 18 moved it to an input). */
const OPSET = 13;
const FEATURE_DIM = 80;

export interface FixtureOptions {
  /** Directory to write into; a fresh temp directory by default. */
  dir?: string;
  /** Extra or overriding metadata props; `false` writes none (so the embedder must find D from a run). */
  metadata?: Record<string, string> | false;
}

/**
 * Weight-free mean+std pooling over time: embs = [mean over frames of each mel bin (80), std of each bin (80)].
 * Simple enough that a test can compute the same numbers in TS and prove the features reach the model in the
 * right layout.
 */
export async function writeStatsPoolingModel(options: FixtureOptions = {}): Promise<string> {
  const graph = onnx.GraphProto.create({
    name: "stats_pooling",
    input: [tensorInfo("feats", ["N", "T", FEATURE_DIM])],
    output: [tensorInfo("embs", ["N", 2 * FEATURE_DIM])],
    node: statsPoolingNodes("feats", "embs"),
  });
  return writeModel("stats-pooling", graph, 2 * FEATURE_DIM, options);
}

/**
 * Mean+std pooling followed by a fixed random linear projection to `outputDim` (a MatMul with a seeded initializer).
 */
export async function writeProjectionModel(
  options: FixtureOptions & { outputDim?: number; seed?: number } = {},
): Promise<string> {
  const outputDim = options.outputDim ?? 64;
  const weights = randomMatrix(2 * FEATURE_DIM, outputDim, options.seed ?? 1);
  const graph = onnx.GraphProto.create({
    name: "stats_projection",
    input: [tensorInfo("feats", ["N", "T", FEATURE_DIM])],
    output: [tensorInfo("embs", ["N", outputDim])],
    node: [...statsPoolingNodes("feats", "stats"), node("MatMul", ["stats", "projection"], ["embs"])],
    initializer: [floatTensor("projection", [2 * FEATURE_DIM, outputDim], weights)],
  });
  return writeModel(`projection-${outputDim}-seed${options.seed ?? 1}`, graph, outputDim, options);
}

/**
 * A random-weight TDNN about the size of a real speaker model (ECAPA-TDNN C=512 has ~6 M parameters; this has
 * `channels`-wide dilated 1-D convolutions, ~3.9 M parameters at the default 512), mean-pooled and projected to 192.
 * For timing only (thread count, real-time factor): its embeddings mean nothing.
 */
export async function writeRandomTdnnModel(
  options: FixtureOptions & { channels?: number; seed?: number } = {},
): Promise<string> {
  const channels = options.channels ?? 512;
  const seed = options.seed ?? 7;
  const outputDim = 192;
  const layers = [
    { inputs: FEATURE_DIM, outputs: channels, kernel: 5, dilation: 1 },
    { inputs: channels, outputs: channels, kernel: 3, dilation: 2 },
    { inputs: channels, outputs: channels, kernel: 3, dilation: 3 },
    { inputs: channels, outputs: channels, kernel: 3, dilation: 4 },
    { inputs: channels, outputs: channels, kernel: 1, dilation: 1 },
    { inputs: channels, outputs: 3 * channels, kernel: 1, dilation: 1 },
  ];
  const nodes = [node("Transpose", ["feats"], ["x0"], [intsAttribute("perm", [0, 2, 1])])]; // [N, 80, T] for Conv
  const initializers = layers.map((l, i) => {
    const pad = (l.dilation * (l.kernel - 1)) / 2; // "same" length, so any T ≥ 1 works
    nodes.push(
      node(
        "Conv",
        [`x${i}`, `w${i}`],
        [`c${i}`],
        [
          intsAttribute("kernel_shape", [l.kernel]),
          intsAttribute("dilations", [l.dilation]),
          intsAttribute("pads", [pad, pad]),
        ],
      ),
      node("Relu", [`c${i}`], [`x${i + 1}`]),
    );
    return floatTensor(
      `w${i}`,
      [l.outputs, l.inputs, l.kernel],
      randomArray(l.outputs * l.inputs * l.kernel, l.inputs * l.kernel, seed + i),
    );
  });
  const last = layers.length;
  nodes.push(
    node("ReduceMean", [`x${last}`], ["pooled"], [intsAttribute("axes", [2]), intAttribute("keepdims", 0)]),
    node("MatMul", ["pooled", "head"], ["embs"]),
  );
  initializers.push(floatTensor("head", [3 * channels, outputDim], randomMatrix(3 * channels, outputDim, seed + last)));
  const graph = onnx.GraphProto.create({
    name: "random_tdnn",
    input: [tensorInfo("feats", ["N", "T", FEATURE_DIM])],
    output: [tensorInfo("embs", ["N", outputDim])],
    node: nodes,
    initializer: initializers,
  });
  return writeModel(`random-tdnn-${channels}`, graph, outputDim, options);
}

function statsPoolingNodes(input: string, output: string) {
  return [
    node("ReduceMean", [input], ["mean"], [intsAttribute("axes", [1]), intAttribute("keepdims", 0)]),
    node("ReduceMean", [input], ["meanKept"], [intsAttribute("axes", [1]), intAttribute("keepdims", 1)]),
    node("Sub", [input, "meanKept"], ["centred"]),
    node("Mul", ["centred", "centred"], ["squared"]),
    node("ReduceMean", ["squared"], ["variance"], [intsAttribute("axes", [1]), intAttribute("keepdims", 0)]),
    node("Sqrt", ["variance"], ["std"]),
    node("Concat", ["mean", "std"], [output], [intAttribute("axis", 1)]),
  ];
}

/** The metadata props sherpa-onnx reads from wespeaker exports; our embedder reads output_dim and sample_rate. */
async function writeModel(
  name: string,
  graph: onnxProto.onnx.IGraphProto,
  outputDim: number,
  options: FixtureOptions,
): Promise<string> {
  const metadata: Record<string, string> =
    options.metadata === false
      ? {}
      : {
          framework: "wespeaker",
          language: "any",
          url: "generated",
          comment: `test fixture: ${name}`,
          sample_rate: "16000",
          output_dim: String(outputDim),
          normalize_samples: "0",
          ...options.metadata,
        };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "onnxFixture",
    opsetImport: [{ domain: "", version: OPSET }],
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "onnx-fixture-")));
  const path = join(dir, `${name}.onnx`);
  await writeFile(path, onnx.ModelProto.encode(model).finish());
  return path;
}

function tensorInfo(name: string, shape: (number | string)[]) {
  const dim = shape.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d }));
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: FLOAT, shape: { dim } } } });
}

function node(opType: string, input: string[], output: string[], attribute: onnxProto.onnx.IAttributeProto[] = []) {
  return onnx.NodeProto.create({ opType, input, output, attribute, name: output[0] });
}

function intsAttribute(name: string, ints: number[]) {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });
}

function intAttribute(name: string, i: number) {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
}

/** Little-endian raw float32 bytes: far smaller and faster to encode than `floatData` for millions of weights. */
function floatTensor(name: string, dims: number[], values: Float32Array) {
  const rawData = new Uint8Array(values.byteLength);
  const view = new DataView(rawData.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData });
}

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  return randomArray(rows * cols, rows, seed);
}

/** Uniform weights scaled by 1/√fanIn, so activations keep about the same size through the layers. */
function randomArray(length: number, fanIn: number, seed: number): Float32Array {
  // Seeded: the same seed gives the same model bytes, hence the same modelId, on every run.
  const random = mulberry32(seed);
  const scale = Math.sqrt(3 / fanIn);
  return Float32Array.from({ length }, () => (2 * random() - 1) * scale);
}
