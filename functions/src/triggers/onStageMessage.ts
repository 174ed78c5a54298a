/**
 * The shared wiring of a Pub/Sub-triggered stage: its topic from the pipeline table, retries on, the message parsed
 * as `{uid, memoryId, jobId}` (a malformed one logged and dropped), and the deps every stage gets. Trigger files load
 * their stage module inside the handler, so a cold start of one function does not load every other function's code.
 * A storage-triggered stage's re-drive function is wired the same way, on its re-drive topic (`via`).
 */
import { onMessagePublished, type PubSubOptions } from "firebase-functions/v2/pubsub";
import { loadConfig, MESSAGE_MAX_AGE_MS, REGION } from "../config.js";
import * as logs from "../logs.js";
import { jobMessageSchema, type JobMessage } from "../model/job.js";
import { topicOf, type StageName } from "../pipeline/definition.js";
import type { StageDeps } from "../pipeline/runStage.js";
import { functionOf, invocationDeadline, runtimeOptions, type FunctionName } from "../pipeline/runtime.js";

export function onStageMessage(
  stage: StageName,
  options: Pick<PubSubOptions, "secrets">,
  run: (message: JobMessage, deps: StageDeps) => Promise<void>,
  via?: { topic: string; name: FunctionName },
) {
  const topic = via?.topic ?? topicOf(stage);
  if (!topic) throw new Error(`Stage ${stage} is not triggered by a topic (pipeline/definition.ts)`);
  const name = via?.name ?? functionOf(stage);
  const runtime = { region: REGION, retry: true, ...runtimeOptions(name), ...options, topic };
  return onMessagePublished(runtime, async (event) => {
    const deadline = invocationDeadline(name);
    const message = jobMessageSchema.safeParse(event.data.message.json);
    if (!message.success) {
      logs.badMessage({ stage, eventId: event.id }, { topic, issue: message.error.issues[0]?.message ?? "invalid" });
      return;
    }
    await run(message.data, {
      config: loadConfig(),
      now: () => new Date(),
      eventId: event.id,
      eventTime: new Date(event.time),
      maxEventAgeMs: MESSAGE_MAX_AGE_MS,
      deadline,
    });
  });
}
