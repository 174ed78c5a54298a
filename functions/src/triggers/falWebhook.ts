import { onRequest } from "firebase-functions/v2/https";
import { FAL_KEY, loadConfig, REGION } from "../config.js";
import { runtimeOptions } from "../pipeline/runtime.js";

/** FAL's result callback (signature-verified; see http/falWebhook.ts). */
export const falWebhook = onRequest(
  { region: REGION, ...runtimeOptions("falWebhook"), secrets: [FAL_KEY] },
  async (req, res) => {
    const config = loadConfig();
    const [handler, transcribers] = await Promise.all([
      import("../http/falWebhook.js"),
      import("../providers/transcriber/create.js"),
    ]);
    await handler.falWebhook(req, res, {
      config,
      transcriber: () => transcribers.createFalTranscriber(config, FAL_KEY.value()),
    });
  },
);
