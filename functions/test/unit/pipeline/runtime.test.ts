/**
 * pipeline/runtime.ts against what deploy really gets: the endpoint description firebase-functions builds for each
 * exported function (`__endpoint`, which the CLI turns into the deploy manifest), checked against the table and
 * against what the work needs.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as deployed from "../../../src/index.js";
import { redriveTopicOf, topicOf } from "../../../src/pipeline/definition.js";
import { handOffLeaseMs } from "../../../src/pipeline/stageState.js";
import {
  DEADLINE_MARGIN_MS,
  EVENT_TIMEOUT_SECONDS,
  memoryMiB,
  RUNTIME,
  type FunctionName,
} from "../../../src/pipeline/runtime.js";
import { openaiRequestBudgetMs } from "../../../src/providers/openaiClient.js";
import { humeRequestBudgetMs } from "../../../src/providers/emotion/humeClient.js";
import { falCallBudgetMs } from "../../../src/providers/transcriber/fal.js";
import { API_EMBEDDER_LIMITS } from "../../../src/providers/textEmbedder/create.js";
import { deployedDefaults } from "../../support/deployedDefaults.js";

interface Endpoint {
  availableMemoryMb: number | null;
  cpu?: number;
  concurrency: number | null;
  timeoutSeconds: number | null;
  minInstances: unknown;
  maxInstances: unknown;
  eventTrigger?: { eventType: string; eventFilters?: Record<string, string>; retry?: boolean };
  scheduleTrigger?: unknown;
  httpsTrigger?: unknown;
}

const config = deployedDefaults();
const endpoints = Object.entries(deployed).map(([name, fn]) => ({
  name: name as FunctionName,
  endpoint: (fn as unknown as { __endpoint: Endpoint }).__endpoint,
}));
/** A param's value (as deploy resolves it from .env), or the number itself. */
const valueOf = (v: unknown) => (typeof v === "object" && v && "value" in v ? (v as { value(): unknown }).value() : v);

/** Functions that run a stage and hold its lease while they work. */
const STAGE_FUNCTIONS: FunctionName[] = [
  "prepareAudio",
  "prepareAudioRedrive",
  "transcribe",
  "segment",
  "identify",
  "reprocess",
  "emotion",
];

describe("runtime options", () => {
  it("every deployed function takes its options from the table, and the table names no other", () => {
    expect(endpoints.map((e) => e.name).sort()).toEqual(Object.keys(RUNTIME).sort());
    for (const { name, endpoint } of endpoints) {
      const o = RUNTIME[name].options;
      // 1st gen has neither option: one request per instance, CPU by memory size.
      const gen1 = "gen1" in RUNTIME[name];
      expect(
        {
          memory: endpoint.availableMemoryMb,
          cpu: gen1 ? (endpoint.cpu ?? 1) : endpoint.cpu,
          concurrency: gen1 ? (endpoint.concurrency ?? 1) : endpoint.concurrency,
          timeout: endpoint.timeoutSeconds,
          min: valueOf(endpoint.minInstances),
          max: valueOf(endpoint.maxInstances),
        },
        name,
      ).toEqual({
        memory: memoryMiB(o.memory),
        cpu: 1,
        concurrency: o.concurrency,
        timeout: o.timeoutSeconds,
        min: o.minInstances,
        max: valueOf(o.maxInstances),
      });
    }
  });

  it("runs one invocation per instance wherever a recording is held (Cloud Functions serves 80 by default)", () => {
    const heavy = endpoints.filter((e) => RUNTIME[e.name].holdsRecording);
    expect(heavy.map((e) => e.name).sort()).toEqual(
      ["emotion", "identify", "prepareAudio", "prepareAudioRedrive", "transcribe"].sort(),
    );
    for (const { name, endpoint } of heavy) expect(endpoint.concurrency, name).toBe(1);
    // No function is left to the platform's default (null), and concurrency above 1 needs a whole CPU (1st gen
    // functions have no such option: one request per instance).
    for (const { name, endpoint } of endpoints.filter((e) => !("gen1" in RUNTIME[e.name]))) {
      expect(endpoint.concurrency, name).toBeGreaterThanOrEqual(1);
      if (endpoint.concurrency! > 1) expect(endpoint.cpu, name).toBeGreaterThanOrEqual(1);
    }
  });

  it("caps the heavy functions with a param each (the operator's cost cap), and runs each schedule alone", () => {
    for (const name of ["prepareAudio", "prepareAudioRedrive", "transcribe", "identify", "emotion"] as const) {
      const max = RUNTIME[name].options.maxInstances;
      expect(typeof max === "object" && max && "name" in max ? (max as { name: string }).name : max, name).toMatch(
        /^MAX_INSTANCES_[A-Z_]+$/,
      );
    }
    expect(valueOf(RUNTIME.recoverStalledJobs.options.maxInstances)).toBe(1);
    expect(valueOf(RUNTIME.sweepExpiredAudio.options.maxInstances)).toBe(1);
  });

  it("listens for each Pub/Sub stage on its topic and for the prepare_audio re-drive on its own, retrying", () => {
    const listening = (name: FunctionName) => {
      const trigger = endpoints.find((e) => e.name === name)!.endpoint.eventTrigger!;
      return { type: trigger.eventType, topic: trigger.eventFilters?.topic, retry: trigger.retry };
    };
    const published = "google.cloud.pubsub.topic.v1.messagePublished";
    for (const stage of ["transcribe", "segment", "identify", "reprocess", "emotion"] as const)
      expect(listening(stage), stage).toEqual({ type: published, topic: topicOf(stage), retry: true });
    expect(listening("prepareAudioRedrive")).toEqual({
      type: published,
      topic: redriveTopicOf("prepare_audio"),
      retry: true,
    });
  });

  it("keeps event-triggered functions within the 540 s Cloud Functions allows them", () => {
    for (const { name, endpoint } of endpoints) {
      if (endpoint.eventTrigger || endpoint.scheduleTrigger)
        expect(endpoint.timeoutSeconds, name).toBeLessThanOrEqual(EVENT_TIMEOUT_SECONDS);
    }
  });

  it("gives every stage a lease that outlives its function's timeout: no second delivery claims a live stage", () => {
    for (const name of STAGE_FUNCTIONS) {
      const timeoutMs = RUNTIME[name].options.timeoutSeconds * 1000;
      expect(config.stageLeaseMs, name).toBeGreaterThan(timeoutMs);
    }
    // FAL's result arrives at falWebhook while the stage waits under the webhook grace period.
    expect(config.falWebhookGraceMs).toBeGreaterThan(RUNTIME.falWebhook.options.timeoutSeconds * 1000);
    // A stage's hand-off record is written within a minute of its completion, well inside any function's time.
    expect(handOffLeaseMs(config.stageLeaseMs)).toBeLessThanOrEqual(60_000);
  });

  it("fits every provider request's whole retry budget inside each function that sends it, with the margin", () => {
    const room = (name: FunctionName) => RUNTIME[name].options.timeoutSeconds * 1000 - DEADLINE_MARGIN_MS;
    const openai = { timeoutMs: config.openaiTimeoutMs, maxRetries: config.openaiMaxRetries };
    const hume = { timeoutMs: config.humeTimeoutMs, retries: config.humeMaxRetries };
    const fal = (call: "submit" | "status" | "result") => falCallBudgetMs(call, config.falTimeoutMs);
    const budgets: [FunctionName, string, number][] = [
      ["transcribe", "FAL submit", fal("submit")],
      ["falWebhook", "FAL result", fal("result")],
      ["recoverStalledJobs", "FAL status + result", fal("status") + fal("result")],
      ["reprocess", "OpenAI chat or embeddings", openaiRequestBudgetMs(openai)],
      ["api", "OpenAI embeddings of a search query", openaiRequestBudgetMs(API_EMBEDDER_LIMITS)],
      ["emotion", "Hume expression", humeRequestBudgetMs(hume)],
    ];
    for (const [name, what, budget] of budgets) {
      expect(RUNTIME[name].providers.length, name).toBeGreaterThan(0);
      expect(budget, `${name}: ${what} (${Math.round(budget / 1000)} s)`).toBeLessThanOrEqual(room(name));
    }
    // Every function calling a provider is in that list.
    const listed = new Set(budgets.map(([name]) => name));
    for (const { name } of endpoints) if (RUNTIME[name].providers.length) expect(listed.has(name), name).toBe(true);
  });

  it("has memory for the worst case the caps allow, as the long-recording bench measured it", () => {
    const bench = JSON.parse(
      readFileSync(new URL("../../../../bench-results/long-recording.json", import.meta.url), "utf8"),
    ) as { caps: { maxAudioSeconds: number; maxResumableUploadBytes: number }; worstCaseMiB: Record<string, number> };
    // Measured for the caps deployed by default.
    expect(bench.caps).toEqual({
      maxAudioSeconds: config.maxAudioSeconds,
      maxResumableUploadBytes: config.maxResumableUploadBytes,
    });
    for (const { name } of endpoints) {
      const worst = bench.worstCaseMiB[name];
      expect(worst, `${name}: no worst case in bench-results/long-recording.json`).toBeGreaterThan(0);
      // A quarter to spare: the runtime, logging and whatever the bench could not see.
      expect(memoryMiB(RUNTIME[name].options.memory), `${name} needs ${worst} MiB`).toBeGreaterThanOrEqual(
        Math.ceil(worst * 1.25),
      );
    }
  });
});
