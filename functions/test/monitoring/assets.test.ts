/**
 * The Cloud console assets in monitoring/ against the log lines the code really wrote: `npm test` runs the e2e and
 * provider suites with LOG_TEE_FILE set for the emulated functions (functions/.env.demo-*), then this. Every
 * log-based metric's filter must parse and match at least one of those lines, its label and value extractors must
 * find their fields there, and the dashboard and alert policies may only use metrics that exist.
 */
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fieldOf, matches, parseFilter, type LogEntry } from "./logFilter.js";

const root = new URL("../../../monitoring/", import.meta.url);
const teeFile = new URL("../../.e2e-logs.jsonl", import.meta.url);
const readJson = (url: URL) => JSON.parse(readFileSync(url, "utf8")) as unknown;
const jsonFiles = (dir: string) =>
  readdirSync(new URL(dir, root))
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ file: `${dir}${f}`, data: readJson(new URL(`${dir}${f}`, root)) }));

const extractor = z.string().regex(/^EXTRACT\(jsonPayload\.[A-Za-z_]\w*\)$/);
const metricSchema = z.strictObject({
  name: z.string().regex(/^pp_[a-z_]+$/),
  description: z.string().min(10),
  filter: z.string(),
  metricDescriptor: z.strictObject({
    metricKind: z.literal("DELTA"),
    valueType: z.enum(["INT64", "DISTRIBUTION"]),
    unit: z.string(),
    labels: z.array(z.strictObject({ key: z.string(), valueType: z.literal("STRING"), description: z.string() })),
  }),
  labelExtractors: z.record(z.string(), extractor).optional(),
  valueExtractor: extractor.optional(),
  bucketOptions: z
    .object({
      exponentialBuckets: z.object({ numFiniteBuckets: z.number(), growthFactor: z.number(), scale: z.number() }),
    })
    .optional(),
});

/** Where the tee records the resource Cloud Logging would file a line under (src/logs.ts). */
const RESOURCE_KEY = "tee_resource";

/**
 * The tee'd lines the emulated functions wrote, as Cloud Logging stores a structured line of a 2nd-gen function: the
 * severity, the resource the function's process named (its Cloud Run service), the rest as jsonPayload. Lines of the
 * test process itself (no resource) are left out: Cloud Logging never sees them.
 */
function loggedEntries(): LogEntry[] {
  if (!existsSync(teeFile)) return [];
  return readFileSync(teeFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .flatMap((line) => {
      const {
        severity,
        [RESOURCE_KEY]: resource,
        ...payload
      } = JSON.parse(line) as {
        severity: string;
        [RESOURCE_KEY]?: LogEntry["resource"];
      } & Record<string, unknown>;
      return resource ? [{ severity, resource, jsonPayload: payload }] : [];
    });
}

/**
 * Lines each metric must not count: an event next to the one it counts, written as the code writes it. A filter that
 * matched too much (an OR too many, a field dropped) fails here.
 */
const NOT_COUNTED: Record<string, Record<string, unknown>> = {
  pp_cost_usd: { event: "provider_call", provider: "fal", kind: "transcription" },
  pp_fair_use_refusals: { event: "request_refused", code: "job_in_progress", status: 409 },
  pp_job_ms_per_audio_second: { event: "job_completed", durationMs: 1000 },
  pp_jobs_canceled: { event: "job_failed", reason: "memory_deleted: gone", reasonCode: "memory_deleted" },
  pp_jobs_completed: { event: "stage_done", stage: "reprocess", durationMs: 10 },
  pp_jobs_failed: { event: "job_canceled", reason: "audio_too_short", reasonCode: "audio_too_short" },
  pp_jobs_started: { event: "request_refused", code: "fair_use_exceeded", status: 429 },
  pp_paid_calls: { event: "stage_done", stage: "transcribe", durationMs: 10 },
  pp_redrives: { event: "recovery_finished", redriven: 3 },
  pp_stage_latency: { event: "stage_started", stage: "segment", attempt: 1 },
  pp_stuck_jobs: { event: "stage_redriven", stage: "identify" },
  pp_sweep_deletions: { event: "sweep_finished", deleted: 4 },
  pp_webhook_rejections: { event: "fal_webhook_ignored", reason: "not the request recorded on the job" },
  pp_user_data_erased: { event: "memory_data_erased", how: "document_deleted" },
  pp_memory_data_erased: { event: "user_data_erased", pass: 1 },
  pp_orphans_deleted: { event: "bucket_audit_finished", orphansDeleted: 2 },
};
const fieldPath = (extract: string) => extract.slice("EXTRACT(".length, -1);

const metrics = jsonFiles("metrics/").map(({ file, data }) => ({ file, metric: metricSchema.parse(data) }));
const entries = loggedEntries();

describe("log-based metrics", () => {
  it("were written by the e2e and provider runs of this build (LOG_TEE_FILE), not an earlier one", () => {
    expect(
      entries.length,
      `no log lines in ${teeFile.pathname}: run npm test (it runs the e2e suite first)`,
    ).toBeGreaterThan(100);
    // Run on its own, the test must not pass on lines an older build wrote: the file is newer than the build.
    const built = statSync(new URL("../../lib/index.js", import.meta.url)).mtimeMs;
    expect(
      statSync(teeFile).mtimeMs,
      `${teeFile.pathname} is older than functions/lib: run npm test, which writes it afresh`,
    ).toBeGreaterThan(built);
  });

  it("every metric has a line it must not count", () => {
    expect(Object.keys(NOT_COUNTED).sort()).toEqual(metrics.map((m) => m.metric.name).sort());
  });

  it.each(metrics)("$file: named as its file, labels declared, filter matching real log lines", ({ file, metric }) => {
    expect(file).toBe(`metrics/${metric.name}.json`);
    const declared = metric.metricDescriptor.labels.map((l) => l.key).sort();
    expect(Object.keys(metric.labelExtractors ?? {}).sort()).toEqual(declared);
    expect(Boolean(metric.valueExtractor)).toBe(metric.metricDescriptor.valueType === "DISTRIBUTION");
    expect(Boolean(metric.bucketOptions)).toBe(metric.metricDescriptor.valueType === "DISTRIBUTION");

    const filter = parseFilter(metric.filter);
    const matching = entries.filter((e) => matches(filter, e));
    expect(matching.length, `${metric.name}: its filter matches no line the code wrote`).toBeGreaterThan(0);
    const resource = matching[0].resource;
    expect(matches(filter, { severity: "INFO", resource, jsonPayload: NOT_COUNTED[metric.name] }), metric.name).toBe(
      false,
    );
    for (const [label, extract] of Object.entries(metric.labelExtractors ?? {})) {
      const found = matching.filter((e) => fieldOf(e, fieldPath(extract)) !== undefined);
      expect(found.length, `${metric.name}: label ${label} (${extract}) is in no matching line`).toBeGreaterThan(0);
    }
    if (metric.valueExtractor) {
      const values = matching.map((e) => fieldOf(e, fieldPath(metric.valueExtractor!)));
      expect(
        values.every((v) => typeof v === "number" && Number.isFinite(v)),
        `${metric.name}: value`,
      ).toBe(true);
    }
  });
});

/** Every `metric.type="logging.googleapis.com/user/…"` in a JSON document, and every PromQL metric name. */
function referencedMetrics(doc: unknown): string[] {
  const text = JSON.stringify(doc);
  const viaFilter = [...text.matchAll(/logging\.googleapis\.com\/user\/(\w+)/g)].map((m) => m[1]);
  const viaPromql = [...text.matchAll(/logging_googleapis_com:user_(\w+?)(?:_sum|_count|_bucket)?\{/g)].map(
    (m) => m[1],
  );
  return [...viaFilter, ...viaPromql];
}
const known = new Set(metrics.map((m) => m.metric.name));

describe("dashboard and alert policies", () => {
  const dashboard = readJson(new URL("dashboard.json", root)) as {
    displayName: string;
    mosaicLayout: { tiles: { widget: { title: string } }[] };
  };
  const alerts = jsonFiles("alerts/");

  it("the dashboard charts only existing metrics, every metric somewhere", () => {
    const used = referencedMetrics(dashboard);
    expect(used.filter((m) => !known.has(m))).toEqual([]);
    expect([...known].filter((m) => !used.includes(m))).toEqual([]);
    const titles = dashboard.mosaicLayout.tiles.map((t) => t.widget.title).join(" | ");
    for (const wanted of ["completed", "failed", "p50", "p95", "per second of audio", "cost per day", "Stuck"]) {
      expect(titles).toContain(wanted);
    }
  });

  it.each(alerts)("$file: a documented policy on existing metrics", ({ data }) => {
    const policy = data as { displayName: string; documentation: { content: string }; conditions: unknown[] };
    expect(policy.displayName).toMatch(/^Post-processing: /);
    expect(policy.documentation.content.length).toBeGreaterThan(20);
    expect(policy.conditions).toHaveLength(1);
    const used = referencedMetrics(policy);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((m) => !known.has(m))).toEqual([]);
  });

  it("covers the failure rate, stuck jobs, webhook rejections and the daily cost budget", () => {
    const all = alerts.map((a) => JSON.stringify(a.data)).join("\n");
    for (const metric of ["pp_jobs_failed", "pp_stuck_jobs", "pp_webhook_rejections", "pp_cost_usd"]) {
      expect(all).toContain(metric);
    }
    expect(all).toContain("${COST_BUDGET_USD_PER_DAY}");
  });
});

describe("the filter evaluator itself", () => {
  const entry = (payload: Record<string, unknown>, severity = "INFO"): LogEntry => ({
    severity,
    resource: { type: "cloud_run_revision" },
    jsonPayload: payload,
  });

  it("evaluates comparisons, presence, severities and boolean structure, and refuses what it cannot read", () => {
    const f = parseFilter('resource.type="cloud_run_revision" AND (jsonPayload.event="a" OR jsonPayload.event="b")');
    expect(matches(f, entry({ event: "b" }))).toBe(true);
    expect(matches(f, entry({ event: "c" }))).toBe(false);
    expect(matches(parseFilter("jsonPayload.costUsd:*"), entry({ costUsd: 0 }))).toBe(true);
    expect(matches(parseFilter("jsonPayload.costUsd:*"), entry({}))).toBe(false);
    expect(matches(parseFilter("severity>=WARNING"), entry({}, "ERROR"))).toBe(true);
    expect(matches(parseFilter("severity>=WARNING"), entry({}, "INFO"))).toBe(false);
    expect(matches(parseFilter('NOT jsonPayload.event="a"'), entry({ event: "a" }))).toBe(false);
    expect(() => parseFilter('jsonPayload.event=~"a.*"')).toThrow();
    expect(() => parseFilter('(jsonPayload.event="a"')).toThrow();
  });
});
