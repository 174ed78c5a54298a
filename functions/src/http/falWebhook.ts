/**
 * `POST falWebhook?uid=&memoryId=&jobId=&token=` — FAL's result callback. Two independent checks: FAL's Ed25519
 * signature over the raw body (proves FAL sent it) and the per-job secret token we put in the URL at submit time
 * (binds the call to one job; only its SHA-256 is stored). Answers 200 to anything FAL should stop retrying
 * (including duplicates and strangers), 401/403 to forgeries, and 5xx only when we failed and want a retry.
 */
import { timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import { z } from "zod";
import { loadConfig } from "../config.js";
import { HttpError } from "../errors.js";
import { db } from "../firebase.js";
import * as logs from "../logs.js";
import type { Postprocessing } from "../model.js";
import { createFal } from "../providers/transcriber/fal.js";
import { falWebhookKeys, sha256Hex, verifyWebhookSignature, webhookHeaders } from "../providers/transcriber/falWebhookSignature.js";
import { applyFalOutcome } from "../stages/applyFalOutcome.js";
import { memoryPath } from "../store/paths.js";

const bodySchema = z.object({
  request_id: z.string().min(1),
  status: z.enum(["OK", "ERROR"]),
  payload: z.unknown().optional(),
  error: z.unknown().optional(),
  payload_error: z.unknown().optional(),
});

const querySchema = z.object({ uid: z.string().min(1), memoryId: z.string().min(1), jobId: z.string().min(1), token: z.string().min(16) });

async function verifySignature(req: Request, rawBody: Buffer, jwksUrl: string): Promise<string> {
  const headers = webhookHeaders((name) => req.get(name));
  if (!headers) throw new HttpError(401, "invalid_signature", "Missing or malformed FAL webhook signature headers.");
  let keys = await falWebhookKeys(jwksUrl);
  if (!verifyWebhookSignature(headers, rawBody, keys)) {
    keys = await falWebhookKeys(jwksUrl, true); // FAL may have rotated its keys since we cached them
    if (!verifyWebhookSignature(headers, rawBody, keys)) throw new HttpError(401, "invalid_signature", "The FAL webhook signature does not verify.");
  }
  return headers.requestId;
}

export async function falWebhook(req: Request, res: Response): Promise<void> {
  const config = loadConfig();
  const rawBody = (req as Request & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
  try {
    const signedRequestId = await verifySignature(req, rawBody, config.falJwksUrl);
    const query = querySchema.safeParse(req.query);
    if (!query.success) throw new HttpError(400, "invalid_argument", "The webhook URL lacks its job parameters.");
    let parsed: z.infer<typeof bodySchema>;
    try {
      parsed = bodySchema.parse(JSON.parse(rawBody.toString("utf8")));
    } catch {
      throw new HttpError(400, "invalid_argument", "The webhook body is not a FAL webhook payload.");
    }
    if (parsed.request_id !== signedRequestId) throw new HttpError(401, "invalid_signature", "The body's request_id is not the signed one.");

    const { uid, memoryId, jobId, token } = query.data;
    const snap = await db().doc(memoryPath(uid, memoryId)).get();
    const expected = (snap.get("postprocessing") as Postprocessing | undefined)?.stages?.transcribe?.webhook_token_sha256;
    if (snap.get("postprocessing.job_id") === jobId && expected) {
      const given = Buffer.from(sha256Hex(token), "hex");
      if (!timingSafeEqual(given, Buffer.from(expected, "hex"))) throw new HttpError(403, "invalid_token", "The webhook token does not match the job.");
    }

    const outcome = parsed.status === "OK"
      ? { ok: true as const, output: parsed.payload ?? null }
      : { ok: false as const, error: String(parsed.error ?? "FAL error"), detail: parsed.payload };
    const applied = await applyFalOutcome({ uid, memoryId, jobId }, parsed.request_id, outcome, {
      config, fal: () => createFal({ key: config.falKey, endpoint: config.falEndpoint, baseUrl: config.falBaseUrl }), now: () => new Date(),
    });
    if (applied === "not_ready") {
      res.status(503).set("Retry-After", "5").json({ error: { code: "not_ready", message: "The job is still being submitted; retry." } });
      return;
    }
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
