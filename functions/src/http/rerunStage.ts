/**
 * `POST /v1/memories/{memoryId}/post-processing/stages/{stage}` — re-runs `identify` (e.g. after the user enrolled
 * their voice) or `reprocess` (e.g. after a model change) of the memory's last job, from its stored artifacts, as a
 * new job. 400 for a stage that cannot be re-run (transcription would pay again), 409 while a job runs, 410 once the
 * artifacts have expired. Answers like the upload: 200 with the memory and a Location for the new job.
 */
import type { Request, Response } from "express";
import { loadConfig } from "../config.js";
import { HttpError } from "../errors.js";
import * as logs from "../logs.js";
import {
  isStageName,
  previousStage,
  STAGE_NAMES,
  stageDefinition,
  upstreamOf,
  type StageName,
} from "../pipeline/definition.js";
import { handOff } from "../pipeline/handOff.js";
import { bucket } from "../store/firebase.js";
import { startRerun } from "../store/reruns.js";
import { authenticate } from "./auth.js";
import { toAppMemory } from "./json.js";
import { jobLocation, memoryIdParam } from "./requestParams.js";

export async function rerunStage(req: Request, res: Response): Promise<void> {
  const config = loadConfig();
  const uid = await authenticate(req);
  const memoryId = memoryIdParam(req);
  const stage = String(req.params.stage ?? "");
  if (!isStageName(stage)) {
    throw new HttpError(400, "invalid_argument", `Unknown stage "${stage}"; stages are ${STAGE_NAMES.join(", ")}.`);
  }
  const { jobId, memory } = await startRerun({
    uid,
    memoryId,
    stage,
    phase: stageDefinition(stage).phases.waiting,
    upstream: upstreamOf(stage),
    now: new Date(),
    staleAfterMs: config.jobStaleAfterMs,
    retentionMs: config.retentionMs,
    artifactsExist: async (pp) => {
      const objects = [pp.audio.normalized_object, pp.segments?.object].filter((o): o is string => !!o);
      const found = await Promise.all(objects.map((o) => bucket(config.postprocessingBucket).file(o).exists()));
      return found.every(([exists]) => exists);
    },
    fairUse: config.fairUse,
    rerunsPerHour: config.rerunsPerMemoryPerHour,
  });
  const job = { uid, memoryId, jobId };
  // The job exists from here on: a failed hand-off is not the caller's failure (the re-drive publishes a pending
  // stage whose message was lost), so it is logged and the answer is the new job all the same.
  await handOffRerun(job, stage, (from, next) => handOff(job, from, next, { ...job, route: "rerun" }));
  logs.rerunStarted(job, stage);
  // Relative to …/post-processing/stages/{stage}, like the upload's Location is to …/post-processing.
  res
    .status(200)
    .location(`../${jobLocation(jobId).replace(/^post-processing\//, "")}`)
    .json(toAppMemory(memoryId, memory));
}

/**
 * Queues the re-run's stage, as the stage whose `next` names it would. Returns whether the message went out; a failure
 * is logged, never thrown: the job is already committed and the scheduled re-drive delivers a pending stage's lost
 * message.
 */
export async function handOffRerun(
  job: { uid: string; memoryId: string; jobId: string },
  stage: StageName,
  send: (from: StageName, next: StageName[]) => Promise<void>,
): Promise<boolean> {
  try {
    const from = previousStage(stage);
    if (!from) throw new Error(`Stage ${stage} has no stage before it to hand off from`);
    await send(from, [stage]);
    return true;
  } catch (err) {
    logs.rerunHandOffFailed({ ...job, stage }, err);
    return false;
  }
}
