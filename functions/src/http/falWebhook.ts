/**
 * `POST falWebhook?uid=&memoryId=&jobId=&token=` — FAL's result callback. Two independent checks: FAL's Ed25519
 * signature over the raw body (proves FAL sent it) and the per-job secret token we put in the URL at submit time
 * (binds the call to one job; only its SHA-256 is stored). Answers 200 to anything FAL should stop retrying
 * (including duplicates and strangers), 401/403 to forgeries, and 5xx only when we failed and want a retry.
 */
import { timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import { z } from "zod";
import type { Config } from "../config.js";
import { HttpError } from "../errors.js";
import * as logs from "../logs.js";
import {
  falWebhookKeys,
  sha256Hex,
  verifyWebhookSignature,
  webhookHeaders,
} from "../providers/transcriber/falWebhookSignature.js";
import type { QueuedTranscriber } from "../providers/transcriber/types.js";
import { applyQueuedOutcome } from "../stages/transcriptionResult.js";
import { db } from "../store/firebase.js";
import { memoryPath } from "../store/paths.js";

const bodySchema = z.object({
  request_id: z.string().min(1),
  status: z.enum(["OK", "ERROR"]),
  payload: z.unknown().optional(),
  error: z.unknown().optional(),
  payload_error: z.unknown().optional(),
});

/** FAL's webhook `error` as text (FAL sends a string such as "Invalid status code: 422"). */
const webhookErrorText = (error: unknown): string =>
  error === undefined || error === null ? "FAL error" : typeof error === "string" ? error : JSON.stringify(error);

const querySchema = z.object({
  uid: z.string().min(1),
  memoryId: z.string().min(1),
  jobId: z.string().min(1),
  token: z.string().min(16),
});

async function verifySignature(req: Request, rawBody: Buffer, jwksUrl: string, falUserId: string): Promise<string> {
  const headers = webhookHeaders((name) => req.get(name));
  if (!headers) throw new HttpError(401, "invalid_signature", "Missing or malformed FAL webhook signature headers.");
  // FAL signs every customer's webhooks with the same keys: the user id says the call is about our account. Without
  // our own user id configured nothing could be checked, so nothing is accepted (FAL retries; the re-drive polls).
  if (!falUserId) throw new HttpError(503, "fal_not_configured", "FAL_USER_ID is not set; webhooks are refused.");
  if (headers.userId !== falUserId) {
    throw new HttpError(401, "invalid_signature", "The webhook is for another FAL account.");
  }
  let keys = await falWebhookKeys(jwksUrl);
  if (!verifyWebhookSignature(headers, rawBody, keys)) {
    keys = await falWebhookKeys(jwksUrl, true); // FAL may have rotated its keys since we cached them
    if (!verifyWebhookSignature(headers, rawBody, keys))
      throw new HttpError(401, "invalid_signature", "The FAL webhook signature does not verify.");
  }
  return headers.requestId;
}

export interface FalWebhookDeps {
  config: Config;
  transcriber: () => Promise<QueuedTranscriber>;
}

export async function falWebhook(req: Request, res: Response, deps: FalWebhookDeps): Promise<void> {
  const { config } = deps;
  const rawBody = (req as Request & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
  try {
    const signedRequestId = await verifySignature(req, rawBody, config.falJwksUrl, config.falUserId);
    const query = querySchema.safeParse(req.query);
    if (!query.success) throw new HttpError(400, "invalid_argument", "The webhook URL lacks its job parameters.");
    let parsed: z.infer<typeof bodySchema>;
    try {
      parsed = bodySchema.parse(JSON.parse(rawBody.toString("utf8")));
    } catch {
      throw new HttpError(400, "invalid_argument", "The webhook body is not a FAL webhook payload.");
    }
    if (parsed.request_id !== signedRequestId)
      throw new HttpError(401, "invalid_signature", "The body's request_id is not the signed one.");

    const { uid, memoryId, jobId, token } = query.data;
    const snap = await db().doc(memoryPath(uid, memoryId)).get();
    const expected = snap.get("postprocessing.stages.transcribe.webhook_token_sha256") as unknown;
    const currentJob = snap.get("postprocessing.job_id") === jobId;
    if (currentJob && !(typeof expected === "string" && expected)) {
      // No token was ever issued for this job: nothing of ours can be answering.
      logs.falWebhookIgnored({ uid, memoryId, jobId, stage: "transcribe" }, parsed.request_id, "no token issued");
      res.status(200).json({ ok: true, outcome: "unknown_request" });
      return;
    }
    if (currentJob) {
      const given = Buffer.from(sha256Hex(token), "hex");
      if (!timingSafeEqual(given, Buffer.from(expected as string, "hex")))
        throw new HttpError(403, "invalid_token", "The webhook token does not match the job.");
    }

    const outcome =
      parsed.status === "OK"
        ? { ok: true as const, output: parsed.payload ?? null }
        : { ok: false as const, error: webhookErrorText(parsed.error), detail: parsed.payload };
    const applied = await applyQueuedOutcome({ uid, memoryId, jobId }, parsed.request_id, outcome, {
      config,
      transcriber: await deps.transcriber(),
      now: () => new Date(),
      tokenVerified: currentJob,
    });
    res.status(200).json({ ok: true, outcome: applied });
  } catch (err) {
    if (err instanceof HttpError) {
      logs.falWebhookRejected(`${err.code}: ${err.message}`);
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    logs.requestFailed({}, err);
    res.status(500).json({ error: { code: "internal", message: "Could not apply the result; retry." } });
  }
}
