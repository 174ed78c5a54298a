/** `GET /v1/memories/{memoryId}/post-processing/jobs/{jobId}` — the state of the memory's current job. */
import type { Request, Response } from "express";
import { HttpError } from "../errors.js";
import { db } from "../store/firebase.js";
import { readPostprocessing } from "../store/jobs.js";
import { memoryPath } from "../store/paths.js";
import { toJobView } from "./json.js";
import { authenticate } from "./auth.js";
import { memoryIdParam } from "./requestParams.js";

export async function getJob(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  const memoryId = memoryIdParam(req);
  const snap = await db().doc(memoryPath(uid, memoryId)).get();
  if (!snap.exists) throw new HttpError(404, "memory_not_found", "No memory with this id belongs to the caller.");
  const pp = readPostprocessing(snap.data());
  if (!pp || pp.job_id !== req.params.jobId)
    throw new HttpError(404, "job_not_found", "No such job for this memory (it may have been superseded).");
  res.status(200).json({ job: toJobView(memoryId, pp) });
}
