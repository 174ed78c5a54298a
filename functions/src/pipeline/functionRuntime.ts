/**
 * The shape of a deployed function's runtime options (pipeline/runtime.ts declares every function's; a stage's are in
 * its pipeline table entry, pipeline/definition.ts).
 */
import type { IntParam } from "firebase-functions/params";

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

export const event = (o: Omit<RuntimeOptions, "cpu" | "timeoutSeconds" | "minInstances">): RuntimeOptions => ({
  cpu: 1,
  timeoutSeconds: EVENT_TIMEOUT_SECONDS,
  minInstances: 0,
  ...o,
});
