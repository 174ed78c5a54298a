/**
 * Stage `emotion` (optional: only for uploads with `emotional_feedback=true`; it runs beside `reprocess` and never
 * delays, blocks or fails the job). The user's own speech is analysed (Hume on the audio, or the local text analyzer);
 * no user speech (no profile, or the user did not speak) skips the stage with that reason, nothing sent or paid. The
 * memory keeps a summary (top emotions, their scores and where they peaked, the model), never per-frame data. When the
 * top emotion passes EMOTION_NOTIFY_THRESHOLD the user gets one short, kind push (never transcript text), recorded at
 * `users/{uid}/notifications/{jobId}` whether or not it could be delivered.
 */
import { z } from "zod";
import { familyOf, type EmotionFamily, type EmotionMeasurement, type EmotionSummary } from "../model/emotion.js";
import type { JobMessage, JobRef } from "../model/job.js";
import { transcriptSegmentSchema } from "../model/transcript.js";
import * as logs from "../logs.js";
import { runStage, type StageDeps } from "../pipeline/runStage.js";
import type { EmotionAnalyzer, EmotionPart } from "../providers/emotion/types.js";
import type { Notifier, PushMessage } from "../providers/notifier/types.js";
import { bucket } from "../store/firebase.js";
import { claimNotification, fcmTokens, finishNotification, removeTokens, tokenId } from "../store/notifications.js";
import { loadJobJson, saveJobJson } from "../store/objects.js";
import { emotionResultObjectName } from "../store/objectNames.js";

const STAGE = "emotion" as const;
const TOP_EMOTIONS = 3;
const PEAKS = 3;

export interface EmotionDeps extends StageDeps {
  analyzer: () => Promise<EmotionAnalyzer>;
  notifier: () => Promise<Notifier>;
}

/** The summary kept on the memory: each emotion's duration-weighted mean score, the top ones, their peaks. Pure. */
export function summarize(
  measurements: EmotionMeasurement[],
  model: string,
  analyzedSeconds: number,
  now: Date,
): EmotionSummary {
  const byName = new Map<string, EmotionMeasurement[]>();
  for (const m of measurements) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
  const scored = [...byName].map(([name, list]) => {
    const weight = (m: EmotionMeasurement) => Math.max(0.1, m.end - m.start);
    const total = list.reduce((n, m) => n + weight(m), 0);
    const score = list.reduce((n, m) => n + m.score * weight(m), 0) / total;
    const peaks = [...list]
      .sort((a, b) => b.score - a.score)
      .slice(0, PEAKS)
      .map((m) => ({ start: round(m.start), end: round(m.end), score: round(m.score) }));
    return { name, score: round(score), peaks };
  });
  scored.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
  return {
    model,
    top: scored.slice(0, TOP_EMOTIONS),
    analyzed_seconds: round(analyzedSeconds),
    created_at: now.toISOString(),
  };
}

const round = (x: number) => Number(x.toFixed(3));

/** What a friend would say, per emotion family (model/emotion.ts maps Hume's names onto the families). */
const MESSAGES: Record<EmotionFamily, { title: string; body: string }> = {
  bright: { title: "A bright moment", body: "You sounded happy in your last conversation. Nice one!" },
  calm: { title: "A calm conversation", body: "You sounded relaxed and at ease. Keep it up." },
  heavy: { title: "Thinking of you", body: "That conversation sounded heavy. Be kind to yourself today." },
  tense: { title: "Take a breath", body: "You sounded a little tense. A short pause might help." },
  frustrated: {
    title: "Take a moment",
    body: "That conversation sounded frustrating. A short walk can help you reset.",
  },
};

/**
 * Whether to notify, and what: the strongest emotion of a known family (neutral belongs to none, nor do names Hume
 * added after this table) when it passes the threshold, as a template message. Pure.
 */
export function notificationFor(
  summary: EmotionSummary,
  threshold: number,
  memoryId: string,
): (PushMessage & { emotion: string; score: number }) | null {
  const top = summary.top.find((e) => familyOf(e.name) !== null);
  if (!top || top.score <= threshold) return null;
  const { title, body } = MESSAGES[familyOf(top.name)!];
  return { title, body, data: { type: "emotion", memory_id: memoryId }, emotion: top.name, score: top.score };
}

/** The analysis so far, saved after each paid request (one part per request of the plan). */
interface EmotionCheckpoint {
  model: string;
  requests: number;
  parts: EmotionPart[];
}

export async function emotion(message: JobMessage, deps: EmotionDeps): Promise<void> {
  const job: JobRef = message;
  const { config } = deps;
  await runStage({ job, stage: STAGE, idempotencyKey: `event:${deps.eventId}`, deps }, async ({ memory, pp, log }) => {
    const segments = z.array(transcriptSegmentSchema).safeParse(memory.transcript_segments ?? []);
    const userSegments = (segments.success ? segments.data : []).filter((s) => s.is_user && s.end > s.start);
    if (!userSegments.length) {
      const reason = "no_user_speech: the user has no voice profile or did not speak";
      return { kind: "done", skipReason: reason, summary: { skipped: reason } };
    }
    const analyzer = await deps.analyzer();
    const input = {
      userSegments,
      audio: () => bucket(config.postprocessingBucket).file(pp.audio.normalized_object!).createReadStream(),
      language: typeof memory.language === "string" ? memory.language : null,
    };
    // Requests an earlier delivery already paid for are reused from the checkpoint: Hume is paid once per request.
    const name = emotionResultObjectName(job);
    const requests = analyzer.requestCount(userSegments);
    const saved = await loadJobJson<EmotionCheckpoint>(config.postprocessingBucket, name).catch(() => null);
    const checkpoint: EmotionCheckpoint =
      saved?.model === analyzer.modelId && saved.requests === requests
        ? saved
        : { model: analyzer.modelId, requests, parts: [] };
    const reused = checkpoint.parts.length;
    while (checkpoint.parts.length < requests) {
      const part = await analyzer.analyzeRequest(input, checkpoint.parts.length, { deadline: deps.deadline });
      checkpoint.parts.push(part);
      await saveJobJson(config.postprocessingBucket, name, job, "emotion", checkpoint);
    }
    const parts = checkpoint.parts;
    const measurements = parts.flatMap((p) => p.measurements).sort((a, b) => a.start - b.start);
    const analyzedSeconds = parts.reduce((n, p) => n + p.analyzedSeconds, 0);
    const summary = summarize(measurements, analyzer.modelId, analyzedSeconds, deps.now());
    const notice = notificationFor(summary, config.emotionNotifyThreshold, job.memoryId);
    const notified = notice ? await notify(job, notice, await deps.notifier(), deps.now(), log) : null;
    return {
      kind: "done",
      // Every request's call, reused ones too (the ledger keeps each once, by its id).
      calls: parts.flatMap((p) => p.calls),
      patch: { emotion: summary, "postprocessing.emotion": { model: analyzer.modelId, notification: notified } },
      summary: {
        model: analyzer.modelId,
        requests,
        reusedRequests: reused,
        top: summary.top[0]?.name ?? null,
        notified: notified?.delivery ?? "none",
      },
    };
  });
}

/** Records the job's notification (once), sends it, records what happened per token, and drops dead tokens. */
async function notify(
  job: JobRef,
  notice: PushMessage & { emotion: string; score: number },
  notifier: Notifier,
  now: Date,
  log: logs.LogContext,
): Promise<{ delivery: string; sent: number } | null> {
  const tokens = await fcmTokens(job.uid);
  const claimed = await claimNotification(job.uid, job.memoryId, job.jobId, {
    title: notice.title,
    body: notice.body,
    emotion: notice.emotion,
    score: notice.score,
    memory_id: job.memoryId,
    job_id: job.jobId,
    delivery: notifier.delivery,
    status: "sending",
    tokens: tokens.map((t) => ({ token_id: tokenId(t), status: "pending" })),
    created_at: now.toISOString(),
  });
  if (claimed !== "claimed") {
    logs.stageSkipped(log, claimed === "exists" ? "notification_already_recorded" : "memory_gone_no_notification");
    return null;
  }
  const outcomes = tokens.length ? await notifier.send(tokens, notice) : [];
  const sent = outcomes.filter((o) => o.status === "sent").length;
  await finishNotification(job.uid, job.jobId, {
    status: notifier.delivery === "local" ? "recorded" : sent ? "sent" : tokens.length ? "failed" : "no_tokens",
    tokens: outcomes.map((o) => ({
      token_id: tokenId(o.token),
      status: o.status,
      ...(o.status === "sent" ? {} : { error: o.error }),
    })),
    sent_at: new Date().toISOString(),
  });
  await removeTokens(
    job.uid,
    outcomes.filter((o) => o.status === "invalid").map((o) => o.token),
  );
  logs.notificationRecorded(
    { ...job, stage: STAGE },
    { delivery: notifier.delivery, emotion: notice.emotion, tokens: tokens.length, sent },
  );
  return { delivery: notifier.delivery, sent };
}
