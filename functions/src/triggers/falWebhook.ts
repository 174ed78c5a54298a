import { onRequest } from "firebase-functions/v2/https";
import { FAL_KEY, REGION } from "../config.js";
import { falWebhook as handleFalWebhook } from "../http/falWebhook.js";

/** FAL's result callback (signature-verified; see http/falWebhook.ts). */
export const falWebhook = onRequest({ region: REGION, memory: "1GiB", timeoutSeconds: 300, secrets: [FAL_KEY] }, handleFalWebhook);
