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
};

export const refusalError = (refusal: JobRefusal) => new HttpError(STATUS[refusal.code], refusal.code, refusal.message);
