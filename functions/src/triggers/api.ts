import { onRequest } from "firebase-functions/v2/https";
import { REGION } from "../config.js";
import { createApi } from "../http/app.js";

/** The app-facing HTTPS API (`/v1/memories/{id}/post-processing`, upload sessions, job status). */
export const api = onRequest({ region: REGION, memory: "1GiB", timeoutSeconds: 120, concurrency: 20, cors: false }, createApi());
