import type { Request, Response } from "express";
import { onRequest } from "firebase-functions/v2/https";
import { REGION } from "../config.js";

let app: Promise<(req: Request, res: Response) => void> | undefined;

/** The app-facing HTTPS API (`/v1/memories/{id}/post-processing`, upload sessions, job status, enrollment). */
export const api = onRequest(
  { region: REGION, memory: "1GiB", timeoutSeconds: 120, concurrency: 20, cors: false },
  async (req, res) => {
    app ??= import("../http/app.js").then(({ createApi }) => createApi());
    (await app)(req, res);
  },
);
