/**
 * Every deployed function's runtime options, declared once, next to the pipeline table. Triggers take their options
 * from here; test/unit/pipeline/runtime.test.ts reads the endpoint each exported function builds for deploy and checks
 * it against this table and against what the work needs:
 * - a function that holds a recording (in memory, or in the temp directory, which is memory on Cloud Functions) runs
 *   one invocation per instance (`concurrency: 1`): Cloud Functions 2nd gen otherwise serves 80 at once per instance;
 * - a stage's lease outlives its function's timeout, so no second delivery can claim a stage whose first delivery may
 *   still be alive;
 * - each provider request's whole retry budget fits inside the timeout, and stages check the time left before every
 *   paid request (`StageDeps.deadline`), continuing in a new invocation when it would not fit;
 * - memory covers the worst case the caps allow (MAX_AUDIO_SECONDS, MAX_RESUMABLE_UPLOAD_BYTES), as measured by the
 *   long-recording bench (bench-results/long-recording.json).
 * `maxInstances` of the heavy functions are params (MAX_INSTANCES_*): the operator's cost cap.
 */
import { PIPELINE, stageDefinition, type StageName } from "./definition.js";
import {
  DEADLINE_MARGIN_MS,
  event,
  type FunctionRuntime,
  type MemoryOption,
  type RuntimeOptions,
} from "./functionRuntime.js";

export {
  DEADLINE_MARGIN_MS,
  EVENT_TIMEOUT_SECONDS,
  type FunctionRuntime,
  type MemoryOption,
  type RuntimeOptions,
} from "./functionRuntime.js";

/** A name in snake case as a function name in camel case (`prepare_audio` → `prepareAudio`). */
type Camel<S extends string> = S extends `${infer A}_${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S;
export type StageFunctionName = Camel<StageName>;
/** The deployed function of a stage: its name in camel case. */
export const functionOf = (stage: StageName) =>
  stage.replace(/_([a-z])/g, (_: string, c: string) => c.toUpperCase()) as StageFunctionName;

/** Each stage's function, with the options its pipeline table entry declares. */
const STAGE_RUNTIME = Object.fromEntries(PIPELINE.map((s) => [functionOf(s.name), s.runtime])) as Record<
  StageFunctionName,
  FunctionRuntime
>;

export const RUNTIME = {
  api: {
    options: { memory: "2GiB", cpu: 1, concurrency: 12, timeoutSeconds: 120, minInstances: 0, maxInstances: 50 },
    holdsRecording: false,
    providers: ["openai"],
    memoryCase:
      "12 concurrent multipart uploads at the 32 MiB body limit, each held three times (the raw body, its parts, " +
      "the temp file its duration is probed from)",
  },
  ...STAGE_RUNTIME,
  // The storage stage's re-drive listens on a topic and does the same work.
  prepareAudioRedrive: stageDefinition("prepare_audio").runtime,
  falWebhook: {
    options: { memory: "1GiB", cpu: 1, concurrency: 8, timeoutSeconds: 300, minInstances: 0, maxInstances: 50 },
    holdsRecording: false,
    providers: ["fal"],
    memoryCase: "8 concurrent results of MAX_AUDIO_SECONDS recordings (their words as JSON)",
  },
  recoverStalledJobs: {
    options: event({ memory: "512MiB", concurrency: 1, maxInstances: 1 }),
    holdsRecording: false,
    providers: ["fal"],
    memoryCase: "one page of jobs and FAL results applied one job at a time",
  },
  sweepExpiredAudio: {
    options: event({ memory: "512MiB", concurrency: 1, maxInstances: 1 }),
    holdsRecording: false,
    providers: [],
    memoryCase: "one page of object listings",
  },
  auditBuckets: {
    options: event({ memory: "512MiB", concurrency: 1, maxInstances: 1 }),
    holdsRecording: false,
    providers: [],
    memoryCase: "one page of object listings and the documents that refer to them",
  },
  memoryDeleted: {
    options: event({ memory: "256MiB", concurrency: 8, maxInstances: 20 }),
    holdsRecording: false,
    providers: [],
    memoryCase: "one memory's object listing page at a time",
  },
  userDeleted: {
    // A 1st-gen function (Authentication events exist only there): one invocation per instance, no cpu option.
    options: event({ memory: "512MiB", concurrency: 1, maxInstances: 10 }),
    holdsRecording: false,
    providers: [],
    memoryCase: "one page of object listings and a Firestore bulk writer's batch",
    gen1: true,
  },
} satisfies Record<string, FunctionRuntime>;

export type FunctionName = keyof typeof RUNTIME;

export const runtimeOptions = (name: FunctionName): RuntimeOptions => RUNTIME[name].options;

/** The moment an invocation of `name` that starts now should stop starting paid requests. */
export const invocationDeadline = (name: FunctionName, startedMs = Date.now()): Date =>
  new Date(startedMs + RUNTIME[name].options.timeoutSeconds * 1000 - DEADLINE_MARGIN_MS);

const MEMORY_MIB: Record<MemoryOption, number> = {
  "256MiB": 256,
  "512MiB": 512,
  "1GiB": 1024,
  "2GiB": 2048,
  "4GiB": 4096,
};
export const memoryMiB = (m: MemoryOption) => MEMORY_MIB[m];
