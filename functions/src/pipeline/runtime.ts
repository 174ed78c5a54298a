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
import type { IntParam } from "firebase-functions/params";
import {
  MAX_INSTANCES_EMOTION,
  MAX_INSTANCES_IDENTIFY,
  MAX_INSTANCES_PREPARE_AUDIO,
  MAX_INSTANCES_TRANSCRIBE,
} from "../config.js";

export type MemoryOption = "256MiB" | "512MiB" | "1GiB" | "2GiB" | "4GiB";

export interface RuntimeOptions {
  memory: MemoryOption;
  cpu: 1;
  concurrency: number;
  timeoutSeconds: number;
  minInstances: number;
  maxInstances: number | IntParam;
}

export interface FunctionRuntime {
  options: RuntimeOptions;
  /** Holds a whole recording (or one large piece of one) while it runs: one invocation per instance. */
  holdsRecording: boolean;
  /** Which paid providers it calls (their retry budgets must fit in its timeout). */
  providers: readonly ("fal" | "openai" | "hume")[];
  /** Why `memory` is enough: the worst case, in words (its figure is in bench-results/long-recording.json). */
  memoryCase: string;
  /** A 1st-gen function (Authentication events exist only there): one request per instance, no cpu option. */
  gen1?: true;
}

/** Event-triggered functions (Pub/Sub, Storage) may run at most 540 s on Cloud Functions 2nd gen. */
export const EVENT_TIMEOUT_SECONDS = 540;
/** A stage stops starting paid requests this long before its function's timeout (logging, writing its result). */
export const DEADLINE_MARGIN_MS = 30_000;

const event = (o: Omit<RuntimeOptions, "cpu" | "timeoutSeconds" | "minInstances">): RuntimeOptions => ({
  cpu: 1,
  timeoutSeconds: EVENT_TIMEOUT_SECONDS,
  minInstances: 0,
  ...o,
});

const prepareAudio: FunctionRuntime = {
  options: event({ memory: "4GiB", concurrency: 1, maxInstances: MAX_INSTANCES_PREPARE_AUDIO }),
  holdsRecording: true,
  providers: [],
  memoryCase:
    "the largest upload (MAX_RESUMABLE_UPLOAD_BYTES) and its 16 kHz WAV at MAX_AUDIO_SECONDS both in the temp " +
    "directory, with ffmpeg decoding",
};

export const RUNTIME = {
  api: {
    options: { memory: "2GiB", cpu: 1, concurrency: 12, timeoutSeconds: 120, minInstances: 0, maxInstances: 50 },
    holdsRecording: false,
    providers: ["openai"],
    memoryCase:
      "12 concurrent multipart uploads at the 32 MiB body limit, each held three times (the raw body, its parts, " +
      "the temp file its duration is probed from)",
  },
  prepareAudio,
  prepareAudioRedrive: prepareAudio,
  transcribe: {
    options: event({ memory: "1GiB", concurrency: 1, maxInstances: MAX_INSTANCES_TRANSCRIBE }),
    holdsRecording: true,
    providers: ["fal"],
    memoryCase:
      "a FAL submit holds no audio; the offline transcriber (the emulator's, capped at 30 min there) holds one " +
      "recording's samples",
  },
  falWebhook: {
    options: { memory: "1GiB", cpu: 1, concurrency: 8, timeoutSeconds: 300, minInstances: 0, maxInstances: 50 },
    holdsRecording: false,
    providers: ["fal"],
    memoryCase: "8 concurrent results of MAX_AUDIO_SECONDS recordings (their words as JSON)",
  },
  segment: {
    options: event({ memory: "1GiB", concurrency: 8, maxInstances: 50 }),
    holdsRecording: false,
    providers: [],
    memoryCase: "8 concurrent word lists of MAX_AUDIO_SECONDS recordings",
  },
  identify: {
    options: event({ memory: "1GiB", concurrency: 1, maxInstances: MAX_INSTANCES_IDENTIFY }),
    holdsRecording: true,
    providers: [],
    memoryCase: "a MAX_AUDIO_SECONDS recording streamed once, keeping a bounded stretch of each speaker's speech",
  },
  reprocess: {
    options: event({ memory: "1GiB", concurrency: 8, maxInstances: 50 }),
    holdsRecording: false,
    providers: ["openai"],
    memoryCase: "8 concurrent transcripts of MAX_AUDIO_SECONDS recordings and their token counts",
  },
  emotion: {
    options: event({ memory: "1GiB", concurrency: 1, maxInstances: MAX_INSTANCES_EMOTION }),
    holdsRecording: true,
    providers: ["hume"],
    memoryCase: "one Hume request (at most 25 MB of the user's speech) at a time, streamed out of the recording",
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
