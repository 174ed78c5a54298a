/**
 * The pipeline, declared once: every stage, in pipeline order, with how its deliveries arrive, the phases the job
 * shows for it, what follows it, whether the job needs it to complete, the upload flag it needs and its default
 * speed. Stage names and their type, topics, the order, the upload flags, the runner's hand-off, the re-drive,
 * completion, progress, re-runs and the job view all come from this table (docs/architecture.md "Adding a stage");
 * `npm run gen:stages` writes the stage table in docs/architecture.md from it.
 */
import {
  MAX_INSTANCES_EMOTION,
  MAX_INSTANCES_IDENTIFY,
  MAX_INSTANCES_PREPARE_AUDIO,
  MAX_INSTANCES_TRANSCRIBE,
} from "../config.js";
import type { Postprocessing } from "../model/job.js";
import type { StageSpeed } from "../model/progress.js";
import { event, type FunctionRuntime } from "./functionRuntime.js";

/**
 * `topic`: messages on `postprocessing-<name>` (underscores as dashes). `storage`: finalize events on the
 * post-processing bucket; such a stage also listens on `postprocessing-<name>-redrive`, since the scheduled re-drive
 * cannot replay a storage event.
 */
export type StageTriggerKind = "storage" | "topic";

export interface StageDeclaration {
  name: string;
  /** What the stage does, in one line (docs/architecture.md "Pipeline stages" says it at length). */
  summary: string;
  trigger: StageTriggerKind;
  /** The job's phase while this stage is due but not running, and while it runs. */
  phases: { readonly waiting: string; readonly running: string };
  /** Stages queued when this one is done (those not included in the job are left out). */
  next: readonly string[];
  /**
   * Required stages must all be done for the job to complete, and their failure fails the job. An optional stage runs
   * beside the job and never delays, blocks or fails it.
   */
  required: boolean;
  /**
   * The upload flag (`?<flag>=true`) a job needs to include this stage; without one every job includes it. Upload
   * routes parse every flag named here and store them as `postprocessing.flags`.
   */
  onlyWith?: string;
  /** How long the stage takes before any measurement (pipeline/progress.ts): the job's progress until then. */
  speed: StageSpeed;
  /**
   * Its function's runtime options (pipeline/runtime.ts lists every function's; test/unit/pipeline/runtime.test.ts
   * checks them against what deploy gets and what the work needs).
   */
  runtime: FunctionRuntime;
}

export const STAGES = [
  {
    name: "prepare_audio",
    summary: "check the upload is audio, decode it to 16 kHz mono WAV, measure it, cancel cut-off uploads",
    trigger: "storage",
    phases: { waiting: "awaiting_upload", running: "preparing_audio" },
    next: ["transcribe"],
    required: true,
    speed: { fixedMs: 1500, msPerAudioSecond: 10 },
    runtime: {
      options: event({ memory: "4GiB", concurrency: 1, maxInstances: MAX_INSTANCES_PREPARE_AUDIO }),
      holdsRecording: true,
      providers: [],
      memoryCase:
        "the largest upload (MAX_RESUMABLE_UPLOAD_BYTES) and its 16 kHz WAV at MAX_AUDIO_SECONDS both in the temp " +
        "directory, with ffmpeg decoding",
    },
  },
  {
    name: "transcribe",
    summary: "words with timings and speaker labels (FAL queue + webhook, or offline pocketsphinx + diarization)",
    trigger: "topic",
    phases: { waiting: "awaiting_transcription", running: "transcribing" },
    next: ["segment"],
    required: true,
    speed: { fixedMs: 3000, msPerAudioSecond: 350 },
    runtime: {
      options: event({ memory: "1GiB", concurrency: 1, maxInstances: MAX_INSTANCES_TRANSCRIBE }),
      holdsRecording: true,
      providers: ["fal"],
      memoryCase:
        "a FAL submit holds no audio; the offline transcriber (the emulator's, capped at 30 min there) holds one " +
        "recording's samples",
    },
  },
  {
    name: "segment",
    summary: "clean the words and group them into transcript segments; the 85 % sanity check",
    trigger: "topic",
    phases: { waiting: "awaiting_segmentation", running: "segmenting" },
    next: ["identify"],
    required: true,
    speed: { fixedMs: 500, msPerAudioSecond: 1 },
    runtime: {
      options: event({ memory: "1GiB", concurrency: 8, maxInstances: 50 }),
      holdsRecording: false,
      providers: [],
      memoryCase: "8 concurrent word lists of MAX_AUDIO_SECONDS recordings",
    },
  },
  {
    name: "identify",
    summary: "match each speaker against the user's and known people's voice profiles; save the new transcript",
    trigger: "topic",
    phases: { waiting: "awaiting_speaker_identification", running: "identifying_speakers" },
    next: ["reprocess", "emotion"],
    required: true,
    speed: { fixedMs: 1500, msPerAudioSecond: 20 },
    runtime: {
      options: event({ memory: "1GiB", concurrency: 1, maxInstances: MAX_INSTANCES_IDENTIFY }),
      holdsRecording: true,
      providers: [],
      memoryCase: "a MAX_AUDIO_SECONDS recording streamed once, keeping a bounded stretch of each speaker's speech",
    },
  },
  {
    name: "reprocess",
    summary: "re-extract the memory's structure with an LLM, re-embed it, upsert its vector",
    trigger: "topic",
    phases: { waiting: "awaiting_reprocess", running: "reprocessing" },
    next: [],
    required: true,
    speed: { fixedMs: 2000, msPerAudioSecond: 2 },
    runtime: {
      options: event({ memory: "1GiB", concurrency: 8, maxInstances: 50 }),
      holdsRecording: false,
      providers: ["openai"],
      memoryCase: "8 concurrent transcripts of MAX_AUDIO_SECONDS recordings and their token counts",
    },
  },
  {
    name: "emotion",
    summary: "analyse the user's emotions in the recording and notify them",
    trigger: "topic",
    phases: { waiting: "awaiting_emotion", running: "analysing_emotion" },
    next: [],
    required: false,
    onlyWith: "emotional_feedback",
    speed: { fixedMs: 2000, msPerAudioSecond: 5 },
    runtime: {
      options: event({ memory: "1GiB", concurrency: 1, maxInstances: MAX_INSTANCES_EMOTION }),
      holdsRecording: true,
      providers: ["hume"],
      memoryCase: "one Hume request (at most 25 MB of the user's speech) at a time, streamed out of the recording",
    },
  },
] as const satisfies readonly StageDeclaration[];

export type StageName = (typeof STAGES)[number]["name"];
/** A table entry whose names are those of its table. */
export type Entry<N extends string> = Omit<StageDeclaration, "name" | "next"> & { name: N; next: readonly N[] };
export type StageDefinition = Entry<StageName>;

/** What the table's functions read of a job: its upload flags and its stages' states. */
export type JobStages = Pick<Postprocessing, "flags" | "stages">;
type JobFlags = Pick<Postprocessing, "flags">;

/** A topic-triggered stage's topic: `postprocessing-<name>`, underscores as dashes. */
export const topicName = (name: string) => `postprocessing-${name.replace(/_/g, "-")}`;

/**
 * Whether the job's upload set `flag`. Jobs written before the flags were one object (`postprocessing.flags`) held each
 * as a boolean field of its own.
 */
export const jobFlag = (pp: JobFlags, flag: string): boolean =>
  pp.flags ? pp.flags[flag] === true : (pp as Record<string, unknown>)[flag] === true;
const OPEN_STATES: readonly string[] = ["pending", "processing", "waiting"];

/**
 * The table's own rules, checked when it is loaded (a broken table fails the deploy's module load, not a job): names
 * and phases are unique, every `next` names a stage of the table, exactly one stage starts the pipeline, every other
 * stage has exactly one predecessor (re-runs hand off from it), and every stage is reached from the first without a
 * cycle. Returns the problems found, none for a sound table.
 */
export function pipelineProblems(stages: readonly StageDeclaration[]): string[] {
  const problems: string[] = [];
  const names = stages.map((s) => s.name);
  const repeated = (list: string[]) => [...new Set(list.filter((x, i) => list.indexOf(x) !== i))];
  for (const name of repeated(names)) problems.push(`stage ${name} is declared twice`);
  for (const phase of repeated(stages.flatMap((s) => [s.phases.waiting, s.phases.running])))
    problems.push(`phase ${phase} belongs to two stages`);
  for (const s of stages)
    for (const next of s.next) if (!names.includes(next)) problems.push(`${s.name}.next names unknown stage ${next}`);
  const predecessors = (name: string) => stages.filter((s) => s.next.includes(name)).map((s) => s.name);
  const first = stages.filter((s) => predecessors(s.name).length === 0).map((s) => s.name);
  if (first.length !== 1)
    problems.push(`${first.length} stages have no predecessor (${first.join(", ")}); one starts it`);
  for (const s of stages) {
    const before = predecessors(s.name);
    if (before.length > 1) problems.push(`stage ${s.name} has ${before.length} predecessors (${before.join(", ")})`);
  }
  // Walk from the first stage: a stage met again on its own path is a cycle; one never met is unreachable.
  const reached = new Set<string>();
  const walk = (name: string, path: string[]) => {
    if (path.includes(name)) {
      problems.push(`cycle: ${[...path.slice(path.indexOf(name)), name].join(" → ")}`);
      return;
    }
    if (reached.has(name)) return;
    reached.add(name);
    for (const next of stages.find((s) => s.name === name)?.next ?? []) walk(next, [...path, name]);
  };
  if (first.length === 1) walk(first[0], []);
  for (const name of names)
    if (first.length === 1 && !reached.has(name)) problems.push(`stage ${name} is never reached from ${first[0]}`);
  return problems;
}

/**
 * Everything that follows from a table: the functions below are `pipelineOf(STAGES)`'s. A test builds one over a
 * copy of the table with a throwaway stage (test/e2e/addedStage.test.ts) to show that a new entry is all it takes.
 */
export function pipelineOf<N extends string>(stages: readonly (StageDeclaration & { name: N })[]) {
  const problems = pipelineProblems(stages);
  if (problems.length) throw new Error(`The pipeline table is not sound: ${problems.join("; ")}`);
  const pipeline = stages as readonly Entry<N>[];
  const byName = new Map(pipeline.map((s) => [s.name, s]));
  const get = (name: N): Entry<N> => {
    const s = byName.get(name);
    if (!s) throw new Error(`Unknown stage ${name}`);
    return s;
  };
  const included = (name: N, pp: JobFlags) => {
    const flag = get(name).onlyWith;
    return !flag || jobFlag(pp, flag);
  };
  const nextStages = (name: N, pp: JobFlags): N[] => get(name).next.filter((next) => included(next, pp));
  const topicOf = (name: N): string | null => (get(name).trigger === "topic" ? topicName(name) : null);
  /** The stages a job passes through before `name` (those whose `next` lead to it), in pipeline order. */
  const upstreamOf = (name: N): N[] => {
    const before = new Set<N>();
    const visit = (target: N) => {
      for (const s of pipeline) {
        if (s.next.includes(target) && !before.has(s.name)) {
          before.add(s.name);
          visit(s.name);
        }
      }
    };
    visit(name);
    return pipeline.map((s) => s.name).filter((n) => before.has(n));
  };
  return {
    PIPELINE: pipeline,
    STAGE_NAMES: pipeline.map((s) => s.name),
    /** Every upload flag a stage needs (`onlyWith`), once each. */
    UPLOAD_FLAGS: [...new Set(pipeline.flatMap((s) => (s.onlyWith ? [s.onlyWith] : [])))],
    isStageName: (name: string): name is N => byName.has(name as N),
    stageDefinition: get,
    topicOf,
    /** Where the re-drive publishes a stalled stage's job: its topic, or a storage stage's re-drive topic. */
    redriveTopicOf: (name: N): string => topicOf(name) ?? `${topicName(name)}-redrive`,
    /** The stages queued when `name` is done, for this job. */
    nextStages,
    /** Topics to publish to when `name` is done. */
    nextTopics: (name: N, pp: JobFlags): string[] => nextStages(name, pp).flatMap((next) => topicOf(next) ?? []),
    isRequired: (name: N) => get(name).required,
    upstreamOf,
    /** The stage whose completion queues `name` (a re-run hands off as it would); null for the first stage. */
    previousStage: (name: N): N | null => pipeline.find((s) => s.next.includes(name))?.name ?? null,
    /** Whether an optional stage is still queued or running, given the stage states (after an update). */
    optionalOpen: (states: Partial<Record<string, { state: string }>>): boolean =>
      pipeline.some((s) => !s.required && OPEN_STATES.includes(states[s.name]?.state ?? "")),
    /** Whether every required stage this job includes is done, given the stage states (after an update). */
    allRequiredDone: (pp: JobStages): boolean =>
      pipeline.every((s) => !s.required || !included(s.name, pp) || pp.stages[s.name]?.state === "done"),
    /**
     * The job's phase once `done` is finished: the waiting phase of the first required stage not yet done, or
     * "completed" when none is left.
     */
    phaseAfter: (done: N, pp: JobStages): string => {
      const left = pipeline.find(
        (s) => s.required && s.name !== done && included(s.name, pp) && pp.stages[s.name]?.state !== "done",
      );
      return left ? left.phases.waiting : "completed";
    },
  };
}

export const {
  PIPELINE,
  STAGE_NAMES,
  UPLOAD_FLAGS,
  isStageName,
  stageDefinition,
  topicOf,
  redriveTopicOf,
  nextStages,
  nextTopics,
  isRequired,
  upstreamOf,
  previousStage,
  optionalOpen,
  allRequiredDone,
  phaseAfter,
} = pipelineOf<StageName>(STAGES);
