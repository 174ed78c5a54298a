/**
 * The pipeline, declared once: every stage, how its deliveries arrive, the phases the job shows for it, what follows
 * it, and whether the job needs it to complete. The runner, the hand-off, the re-drive, completion and the job view all
 * read this table, and test/unit/readme.test.ts checks docs/architecture.md "Pipeline stages" against it. Adding a
 * stage takes more than an entry here: docs/architecture.md "Adding a stage" lists every file.
 */
import type { Postprocessing } from "../model/job.js";
import { STAGE_NAMES, type StageName } from "../model/stages.js";

/**
 * Storage-triggered stages also listen on a re-drive topic: the scheduled re-drive cannot replay a storage event, so
 * it publishes the job there instead.
 */
export type StageTrigger = { kind: "storage"; redriveTopic: string } | { kind: "topic"; topic: string };

export interface StageDefinition {
  name: StageName;
  /** What the stage does, in one line (docs/architecture.md "Pipeline stages" says it at length). */
  summary: string;
  /** How deliveries arrive: storage finalize events on the post-processing bucket, or messages on a topic. */
  trigger: StageTrigger;
  /** The job's phase while this stage is due but not running, and while it runs. */
  phases: { waiting: string; running: string };
  /** Stages queued when this one is done (those not included in the job are left out). */
  next: readonly StageName[];
  /**
   * Required stages must all be done for the job to complete, and their failure fails the job. An optional stage runs
   * beside the job and never delays, blocks or fails it.
   */
  required: boolean;
  /** Whether the job includes this stage; by default every job does. */
  includedIn?: (pp: Pick<Postprocessing, "emotional_feedback">) => boolean;
}

const topic = (name: string): StageTrigger => ({ kind: "topic", topic: `postprocessing-${name}` });

const DEFINITIONS: { [S in StageName]: Omit<StageDefinition, "name"> } = {
  prepare_audio: {
    summary: "check the upload is audio, decode it to 16 kHz mono WAV, measure it, cancel cut-off uploads",
    trigger: { kind: "storage", redriveTopic: "postprocessing-prepare-audio-redrive" },
    phases: { waiting: "awaiting_upload", running: "preparing_audio" },
    next: ["transcribe"],
    required: true,
  },
  transcribe: {
    summary: "words with timings and speaker labels (FAL queue + webhook, or offline pocketsphinx + diarization)",
    trigger: topic("transcribe"),
    phases: { waiting: "awaiting_transcription", running: "transcribing" },
    next: ["segment"],
    required: true,
  },
  segment: {
    summary: "clean the words and group them into transcript segments; the 85 % sanity check",
    trigger: topic("segment"),
    phases: { waiting: "awaiting_segmentation", running: "segmenting" },
    next: ["identify"],
    required: true,
  },
  identify: {
    summary: "match each speaker against the user's and known people's voice profiles; save the new transcript",
    trigger: topic("identify"),
    phases: { waiting: "awaiting_speaker_identification", running: "identifying_speakers" },
    next: ["reprocess", "emotion"],
    required: true,
  },
  reprocess: {
    summary: "re-extract the memory's structure with an LLM, re-embed it, upsert its vector",
    trigger: topic("reprocess"),
    phases: { waiting: "awaiting_reprocess", running: "reprocessing" },
    next: [],
    required: true,
  },
  emotion: {
    summary: "analyse the user's emotions in the recording and notify them (only when the upload asked for it)",
    trigger: topic("emotion"),
    phases: { waiting: "awaiting_emotion", running: "analysing_emotion" },
    next: [],
    required: false,
    includedIn: (pp) => pp.emotional_feedback,
  },
};

/** The stages in pipeline order. */
export const PIPELINE: readonly StageDefinition[] = STAGE_NAMES.map((name) => ({ name, ...DEFINITIONS[name] }));

export const stageDefinition = (name: StageName): StageDefinition => ({ name, ...DEFINITIONS[name] });

/** The topic a stage's messages go to (storage-triggered stages have none). */
export function topicOf(name: StageName): string | null {
  const trigger = DEFINITIONS[name].trigger;
  return trigger.kind === "topic" ? trigger.topic : null;
}

/** Where the re-drive publishes a stalled stage's job: its topic, or a storage stage's re-drive topic. */
export function redriveTopicOf(name: StageName): string {
  const trigger = DEFINITIONS[name].trigger;
  return trigger.kind === "topic" ? trigger.topic : trigger.redriveTopic;
}

const included = (name: StageName, pp: Pick<Postprocessing, "emotional_feedback">) =>
  DEFINITIONS[name].includedIn?.(pp) ?? true;

/** The stages queued when `name` is done, for this job. */
export const nextStages = (name: StageName, pp: Pick<Postprocessing, "emotional_feedback">): StageName[] =>
  DEFINITIONS[name].next.filter((next) => included(next, pp));

/** Topics to publish to when `name` is done. */
export const nextTopics = (name: StageName, pp: Pick<Postprocessing, "emotional_feedback">): string[] =>
  nextStages(name, pp).flatMap((next) => topicOf(next) ?? []);

export const isRequired = (name: StageName) => DEFINITIONS[name].required;

const OPEN_STATES: readonly string[] = ["pending", "processing", "waiting"];

/** Whether an optional stage is still queued or running, given the stage states (after an update). */
export const optionalOpen = (stages: Partial<Record<StageName, { state: string }>>): boolean =>
  PIPELINE.some((s) => !s.required && OPEN_STATES.includes(stages[s.name]?.state ?? ""));

/** Whether every required stage this job includes is done, given the stage states (after an update). */
export function allRequiredDone(pp: Pick<Postprocessing, "emotional_feedback" | "stages">): boolean {
  return PIPELINE.every((s) => !s.required || !included(s.name, pp) || pp.stages[s.name]?.state === "done");
}

/**
 * The job's phase once `done` is finished: the waiting phase of the first required stage not yet done, or
 * "completed" when none is left.
 */
export function phaseAfter(done: StageName, pp: Pick<Postprocessing, "emotional_feedback" | "stages">): string {
  const left = PIPELINE.find(
    (s) => s.required && s.name !== done && included(s.name, pp) && pp.stages[s.name]?.state !== "done",
  );
  return left ? left.phases.waiting : "completed";
}
