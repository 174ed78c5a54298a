/**
 * `GET /v1/users/usage` — the caller's fair use: per rolling window (a day, 3 days, a week), the audio seconds
 * post-processed, the cap, what is left, and when the oldest counted job stops counting; and the re-run limit.
 */
import type { Request, Response } from "express";
import { loadConfig } from "../config.js";
import { usageOf } from "../store/usage.js";
import { authenticate } from "./auth.js";

export async function getUsage(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  res.status(200).json(await usageOf(uid, new Date(), loadConfig()));
}
