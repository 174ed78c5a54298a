/** Jobs seeded at a given stage, so a test can drive one stage through its real trigger. */
import type { JobRef, Postprocessing } from "../../src/model/job.js";
import { optionalOpen, PIPELINE, stageDefinition, upstreamOf, type StageName } from "../../src/pipeline/definition.js";
import { db } from "../../src/store/firebase.js";
import { buildPostprocessing, newJobId } from "../../src/store/jobs.js";
import { publishJobMessage } from "../../src/store/publish.js";
import { memoryPath } from "../../src/store/paths.js";
import { topicOf } from "../../src/pipeline/definition.js";

/**
 * Puts a new job on the memory with every stage upstream of `stage` done (and, for a job seeded `completed`, every
 * required stage) and `stage` pending; returns its ref.
 */
export async function seedJobAt(
  uid: string,
  memoryId: string,
  stage: StageName,
  extra: Partial<Postprocessing> = {},
): Promise<JobRef> {
  const job = { uid, memoryId, jobId: newJobId() };
  const pp = buildPostprocessing(
    {
      ...job,
      flags: {},
      now: new Date(),
      staleAfterMs: 0,
      phase: "uploading",
      audio: {
        postprocessing_object: `${uid}/${memoryId}/${job.jobId}.wav`,
        recording_object: null,
        format: "wav",
        content_type: "audio/wav",
        size_bytes: 1000,
        uploaded_via: "multipart",
      },
      usage: { seconds: 0, caps: { day: 0, "3_days": 0, week: 0 } },
    },
    null,
  );
  pp.phase = stageDefinition(stage).phases.waiting;
  pp.stages = {};
  const required = extra.status === "completed" ? PIPELINE.filter((s) => s.required).map((s) => s.name) : [];
  for (const name of new Set([...upstreamOf(stage), ...required])) {
    pp.stages[name] = {
      state: "done",
      attempts: 1,
      lease_expires_at: null,
      last_error: null,
      idempotency_key: `seed-${name}`,
      next_published: true,
    };
  }
  pp.stages[stage] = { state: "pending", attempts: 0, lease_expires_at: null, last_error: null, idempotency_key: null };
  pp.optional_open = optionalOpen(pp.stages);
  await db()
    .doc(memoryPath(uid, memoryId))
    .update({ postprocessing: { ...pp, ...extra } });
  return job;
}

/** Publishes the stage's message, as the previous stage's hand-off would. */
export const deliver = (stage: StageName, job: JobRef) => publishJobMessage(topicOf(stage)!, job);
