/** Path and query parameters shared by the post-processing routes. */
import type { Request } from "express";
import { HttpError } from "../errors.js";
import { UPLOAD_FLAGS } from "../pipeline/definition.js";
import { isValidDocumentId } from "../store/paths.js";

export function memoryIdParam(req: Request): string {
  const id = String(req.params.memoryId ?? "");
  if (!isValidDocumentId(id)) throw new HttpError(400, "invalid_argument", "The memory id is not valid.");
  return id;
}

/**
 * The upload flags optional stages need (pipeline/definition.ts `onlyWith`, e.g. `emotional_feedback`), each
 * `true|false` or `1|0` (absent means false); anything else is refused rather than guessed.
 */
export function uploadFlagsParam(req: Request): Record<string, boolean> {
  const flags: Record<string, boolean> = {};
  for (const flag of UPLOAD_FLAGS) {
    const raw = req.query[flag];
    if (raw === undefined || raw === "false" || raw === "0") flags[flag] = false;
    else if (raw === "true" || raw === "1") flags[flag] = true;
    else throw new HttpError(400, "invalid_argument", `${flag} must be true or false.`);
  }
  return flags;
}

/** Relative reference to the job resource, resolved against the request URL by the client. */
export const jobLocation = (jobId: string) => `post-processing/jobs/${encodeURIComponent(jobId)}`;
