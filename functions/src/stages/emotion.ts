/**
 * Stage `emotion` (optional: only for uploads with `emotional_feedback=true`; it runs beside `reprocess` and never
 * delays, blocks or fails the job). The user's own speech is analysed (Hume on the audio, or the local text analyzer);
 * no user speech (no profile, or the user did not speak) skips the stage with that reason, nothing sent or paid. The
 * memory keeps a summary (top emotions, their scores and where they peaked, the model), never per-frame data. When the
 * top emotion passes EMOTION_NOTIFY_THRESHOLD the user gets one short, kind push (never transcript text), recorded at
 * `users/{uid}/notifications/{jobId}` whether or not it could be delivered.
 */
import { z } from "zod";
import { NEUTRAL, type EmotionMeasurement, type EmotionSummary } from "../model/emotion.js";
import type { JobMessage, JobRef } from "../model/job.js";
import { transcriptSegmentSchema } from "../model/transcript.js";
import * as logs from "../logs.js";
import { runStage, type StageDeps } from "../pipeline/runStage.js";
import type { EmotionAnalysis, EmotionAnalyzer } from "../providers/emotion/types.js";
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

/** Emotion families and what a friend would say; Hume's names and the local analyzer's map onto them. */
const FAMILIES: { names: string[]; title: string; body: string }[] = [
  {
    names: [
      "Joy",
      "Amusement",
      "Excitement",
      "Ecstasy",
      "Triumph",
      "Pride",
      "Satisfaction",
      "Love",
      "Admiration",
      "Adoration",
      "Gratitude",
      "Interest",
      "Enthusiasm",
    ],
    title: "A bright moment",
    body: "You sounded happy in your last conversation. Nice one!",
  },
  {
    names: [
      "Calmness",
      "Contentment",
      "Relief",
      "Realization",
      "Aesthetic Appreciation",
      "Concentration",
      "Contemplation",
    ],
    title: "A calm conversation",
    body: "You sounded relaxed and at ease. Keep it up.",
  },
  {
    names: [
      "Sadness",
      "Distress",
      "Disappointment",
      "Pain",
      "Empathic Pain",
      "Guilt",
      "Shame",
      "Tiredness",
      "Boredom",
      "Nostalgia",
    ],
    title: "Thinking of you",
    body: "That conversation sounded heavy. Be kind to yourself today.",
  },
  {
    names: ["Anxiety", "Fear", "Horror", "Awkwardness", "Confusion", "Doubt", "Embarrassment", "Surprise (negative)"],
    title: "Take a breath",
    body: "You sounded a little tense. A short pause might help.",
  },
  {
    names: ["Anger", "Annoyance", "Contempt", "Disgust", "Envy"],
    title: "Take a moment",
    body: "That conversation sounded frustrating. A short walk can help you reset.",
  },
];

/**
 * Whether to notify, and what: the strongest emotion (neutrality is not one) when it passes the threshold, as a
 * template message. Pure.
 */
export function notificationFor(
  summary: EmotionSummary,
  threshold: number,
  memoryId: string,
): (PushMessage & { emotion: string; score: number }) | null {
  const top = summary.top.find((e) => e.name !== NEUTRAL);
  if (!top || top.score <= threshold) return null;
  const family = FAMILIES.find((f) => f.names.includes(top.name));
  const title = family?.title ?? "How are you feeling?";
  const body = family?.body ?? `Your last conversation had a lot of ${top.name.toLowerCase()} in it.`;
  return { title, body, data: { type: "emotion", memory_id: memoryId }, emotion: top.name, score: top.score };
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
    // A delivery that died after paying for the analysis left it here: reused, so Hume is paid once per job.
    const checkpoint = emotionResultObjectName(job);
    const analyzer = await deps.analyzer();
    let analysis = await loadJobJson<EmotionAnalysis>(config.postprocessingBucket, checkpoint).catch(() => null);
    const reused = analysis !== null;
    if (!analysis) {
      analysis = await analyzer.analyze({
        userSegments,
        audio: () => bucket(config.postprocessingBucket).file(pp.audio.normalized_object!).createReadStream(),
        language: typeof memory.language === "string" ? memory.language : null,
      });
      await saveJobJson(config.postprocessingBucket, checkpoint, job, "emotion", analysis);
    }
    const summary = summarize(analysis.measurements, analyzer.modelId, analysis.analyzedSeconds, deps.now());
    const notice = notificationFor(summary, config.emotionNotifyThreshold, job.memoryId);
    const notified = notice ? await notify(job, notice, await deps.notifier(), deps.now(), log) : null;
    return {
      kind: "done",
      calls: reused ? [] : analysis.calls,
      patch: { emotion: summary, "postprocessing.emotion": { model: analyzer.modelId, notification: notified } },
      summary: { model: analyzer.modelId, top: summary.top[0]?.name ?? null, notified: notified?.delivery ?? "none" },
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
  const created = await claimNotification(job.uid, job.jobId, {
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
  if (!created) {
    logs.stageSkipped(log, "notification_already_recorded");
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
