import { FAL_KEY, TOPICS } from "../config.js";
import { createFal } from "../providers/transcriber/fal.js";
import { transcribe as transcribeStage } from "../stages/transcribe.js";
import { pubsubStage } from "./pubsubStage.js";

/** Stage 2: transcription + diarization (FAL submit, or one offline chunk per invocation). */
export const transcribe = pubsubStage(TOPICS.transcribe, { memory: "2GiB", cpu: 1, secrets: [FAL_KEY] }, (message, deps) =>
  transcribeStage(message, {
    ...deps,
    fal: () => createFal({ key: deps.config.falKey, endpoint: deps.config.falEndpoint, baseUrl: deps.config.falBaseUrl }),
  }),
);
