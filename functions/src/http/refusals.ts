/** The HTTP status of each reason the store gives for refusing a new job. */
import { HttpError } from "../errors.js";
import type { JobRefusal, JobRefusalCode } from "../store/jobs.js";

const STATUS: Record<JobRefusalCode, number> = {
  memory_not_found: 404,
  memory_deleted: 422,
  memory_discarded: 422,
  job_in_progress: 409,
  already_post_processed: 409,
  stage_not_rerunnable: 400,
  nothing_to_rerun: 409,
  artifacts_expired: 410,
  no_transcript: 422,
  fair_use_exceeded: 429,
  rerun_rate_limited: 429,
};

export function refusalError(refusal: JobRefusal, now = Date.now()): HttpError {
  const retryAfter = refusal.retryAt ? Math.max(1, Math.ceil((Date.parse(refusal.retryAt) - now) / 1000)) : undefined;
  return new HttpError(STATUS[refusal.code], refusal.code, refusal.message, refusal.details ?? {}, retryAfter);
}
