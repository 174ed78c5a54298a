/**
 * Scheduled cleanup of the post-processing bucket: an object is deleted once it is older than the retention period
 * AND its job is over (terminal, superseded by a newer job, or its memory is gone). The recordings bucket, which
 * holds audio users chose to keep, is never touched.
 */
import type { File } from "@google-cloud/storage";
import type { Config } from "../config.js";
import * as logs from "../logs.js";
import { TERMINAL_STATUSES, type PostprocessingStatus } from "../model/job.js";
import { bucket, db } from "../store/firebase.js";
import { memoryPath } from "../store/paths.js";

export interface SweepResult {
  scanned: number;
  deleted: string[];
  kept: number;
  errors: number;
}

/** The owning job as the sweep reads it: leniently, since a malformed job must not keep its audio forever. */
type JobStatusView = { status?: unknown; job_id?: unknown; artifacts_job_id?: unknown; optional_open?: unknown };

/** Whether the job that owns an object no longer needs it. */
export function jobIsOver(pp: JobStatusView | undefined, memoryExists: boolean, jobId: string): boolean {
  if (!memoryExists || !pp) return true;
  // A re-run job reuses an earlier job's objects: they live as long as it does.
  if (pp.job_id !== jobId && pp.artifacts_job_id !== jobId) return true;
  // A completed job whose optional stage (emotion) still runs needs its audio a little longer.
  if (pp.status === "completed" && pp.optional_open === true) return false;
  return TERMINAL_STATUSES.includes(pp.status as PostprocessingStatus);
}

export async function sweepExpiredAudio(
  config: Pick<Config, "postprocessingBucket" | "retentionMs">,
  now: Date,
): Promise<SweepResult> {
  // An Invalid Date would make every age NaN, and NaN < retention is false: everything would look expired.
  if (!Number.isFinite(now.getTime())) throw new Error("sweepExpiredAudio: the run's time is not a valid date");
  const started = Date.now();
  const result: SweepResult = { scanned: 0, deleted: [], kept: 0, errors: 0 };
  // Per page, so memory stays bounded however large the bucket is.
  let jobs = new Map<string, Promise<{ pp: JobStatusView | undefined; exists: boolean }>>();
  const loadJob = (uid: string, memoryId: string) => {
    const key = memoryPath(uid, memoryId);
    if (!jobs.has(key))
      jobs.set(
        key,
        db()
          .doc(key)
          .get()
          .then((s) => ({ pp: s.get("postprocessing") as JobStatusView | undefined, exists: s.exists })),
      );
    return jobs.get(key)!;
  };

  type Page = { pageToken?: string; autoPaginate: false; maxResults: number };
  let query: Page | null = { autoPaginate: false, maxResults: 500 };
  while (query) {
    const [files, next]: [File[], Page | null] = (await bucket(config.postprocessingBucket).getFiles(
      query,
    )) as unknown as [File[], Page | null];
    jobs = new Map();
    // One object that cannot be read or deleted must not stop the sweep: it is counted and tried again next run.
    const outcomes = await Promise.allSettled(files.map((file) => consider(file)));
    outcomes.forEach((o, i) => {
      if (o.status === "fulfilled") return;
      result.errors += 1;
      logs.sweepFailed(files[i].name, o.reason);
    });
    // The page token continues after the last object listed, so deletions on this page do not shift the next one.
    query = next?.pageToken ? { ...query, pageToken: next.pageToken } : null;
  }
  logs.sweepFinished({
    scanned: result.scanned,
    deleted: result.deleted.length,
    kept: result.kept,
    errors: result.errors,
    durationMs: Date.now() - started,
  });
  return result;

  async function consider(file: File): Promise<void> {
    result.scanned += 1;
    const created = Date.parse(file.metadata.timeCreated ?? "");
    const ageMs = now.getTime() - created;
    const meta = (file.metadata.metadata ?? {}) as Record<string, string | undefined>;
    if (!meta.uid || !meta.memoryId || !meta.jobId) {
      logs.sweepUnknownObject(file.name);
      result.kept += 1;
      return;
    }
    if (!Number.isFinite(created) || ageMs < config.retentionMs) {
      result.kept += 1;
      return;
    }
    const { pp, exists } = await loadJob(meta.uid, meta.memoryId);
    if (!jobIsOver(pp, exists, meta.jobId)) {
      result.kept += 1;
      return;
    }
    await file.delete({ ignoreNotFound: true });
    result.deleted.push(file.name);
    logs.sweepDeleted(
      { uid: meta.uid, memoryId: meta.memoryId, jobId: meta.jobId },
      file.name,
      Math.round(ageMs / 360_000) / 10,
    );
  }
}
