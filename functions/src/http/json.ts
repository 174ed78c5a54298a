/** Firestore data → the JSON shapes the app parses (Timestamps become ISO-8601 strings). */
import { Timestamp } from "firebase-admin/firestore";
import type { Postprocessing } from "../model/job.js";
import { totalCostUsd } from "../model/usage.js";
import { jobFlag, PIPELINE, UPLOAD_FLAGS } from "../pipeline/definition.js";

export function toJsonValue(value: unknown): unknown {
  if (value instanceof Timestamp) return value.toDate().toISOString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value && typeof value === "object") {
    if (typeof (value as { toArray?: unknown }).toArray === "function")
      return (value as { toArray(): number[] }).toArray();
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  }
  return value;
}

const DEFAULT_STRUCTURED = { title: "", overview: "", emoji: "🧠", category: "other", action_items: [], events: [] };

/** The memory as the app reads it: every field present with the app's defaults, pipeline internals left out. */
export function toAppMemory(id: string, data: Record<string, unknown>): Record<string, unknown> {
  const pp = data.postprocessing as Partial<Postprocessing> | undefined;
  const json = toJsonValue(data) as Record<string, unknown>;
  return {
    id,
    created_at: json.created_at ?? null,
    started_at: json.started_at ?? null,
    finished_at: json.finished_at ?? null,
    source: json.source ?? "friend",
    language: json.language ?? null,
    structured: { ...DEFAULT_STRUCTURED, ...(json.structured ?? {}) },
    transcript_segments: json.transcript_segments ?? [],
    geolocation: json.geolocation ?? null,
    photos: json.photos ?? [],
    plugins_results: json.plugins_results ?? [],
    external_data: json.external_data ?? null,
    postprocessing: pp
      ? { status: pp.status, model: pp.model, fail_reason: pp.fail_reason ?? null, job_id: pp.job_id }
      : null,
    discarded: json.discarded ?? false,
    deleted: json.deleted ?? false,
  };
}

/** The job as `GET …/post-processing/jobs/{jobId}` reports it: its stages in pipeline order, from the table. */
export function toJobView(memoryId: string, pp: Postprocessing): Record<string, unknown> {
  return toJsonValue({
    id: pp.job_id,
    memory_id: memoryId,
    status: pp.status,
    phase: pp.phase,
    progress: pp.progress ?? null,
    model: pp.model,
    fail_reason: pp.fail_reason,
    // Each upload flag (e.g. emotional_feedback) as the upload was asked: the view the app already reads.
    ...Object.fromEntries(UPLOAD_FLAGS.map((flag) => [flag, jobFlag(pp, flag)])),
    created_at: pp.created_at,
    updated_at: pp.updated_at,
    completed_at: pp.completed_at ?? null,
    warnings: pp.warnings ?? [],
    rerun: pp.rerun ?? null,
    usage: {
      stages: pp.usage?.stages ?? {},
      calls: Object.values(pp.usage?.calls ?? {}),
      estimated_cost_usd: Number(totalCostUsd(pp.usage).toFixed(6)),
    },
    audio: {
      format: pp.audio?.format,
      size_bytes: pp.audio?.size_bytes ?? null,
      uploaded_via: pp.audio?.uploaded_via,
      duration_s: pp.audio?.duration_s ?? null,
      kept_in_recordings: Boolean(pp.audio?.recording_object),
    },
    stages: Object.fromEntries(
      PIPELINE.flatMap(({ name, required }) => {
        const s = pp.stages[name];
        return s ? [[name, { state: s.state, required, attempts: s.attempts, last_error: s.last_error }]] : [];
      }),
    ),
  }) as Record<string, unknown>;
}
