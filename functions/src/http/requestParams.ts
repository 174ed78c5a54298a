/** Path and query parameters shared by the post-processing routes. */
import type { Request } from "express";
import { HttpError } from "../errors.js";
import { isValidDocumentId } from "../store/paths.js";

export function memoryIdParam(req: Request): string {
  const id = String(req.params.memoryId ?? "");
  if (!isValidDocumentId(id)) throw new HttpError(400, "invalid_argument", "The memory id is not valid.");
  return id;
}

/** `emotional_feedback=true|false` (absent means false); anything else is refused rather than guessed. */
export function emotionalFeedbackParam(req: Request): boolean {
  const raw = req.query.emotional_feedback;
  if (raw === undefined) return false;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new HttpError(400, "invalid_argument", "emotional_feedback must be true or false.");
}

/** Relative reference to the job resource, resolved against the request URL by the client. */
export const jobLocation = (jobId: string) => `post-processing/jobs/${encodeURIComponent(jobId)}`;
