import type { Request, Response } from "express";
import { onRequest } from "firebase-functions/v2/https";
import { loadConfig, OPENAI_API_KEY, REGION } from "../config.js";
import { runtimeOptions } from "../pipeline/runtime.js";

let app: Promise<(req: Request, res: Response) => void> | undefined;

/** The app-facing HTTPS API: uploads and sessions, job status, re-runs, search, enrollment. */
export const api = onRequest(
  { region: REGION, ...runtimeOptions("api"), cors: false, secrets: [OPENAI_API_KEY] },
  async (req, res) => {
    app ??= Promise.all([import("../http/app.js"), import("../providers/textEmbedder/create.js")]).then(
      ([{ createApi }, embedders]) =>
        createApi({
          config: loadConfig,
          textEmbedder: () =>
            embedders.createTextEmbedder(loadConfig(), OPENAI_API_KEY.value(), embedders.API_EMBEDDER_LIMITS),
        }),
    );
    (await app)(req, res);
  },
);
