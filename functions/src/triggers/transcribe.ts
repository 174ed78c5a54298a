import { FAL_KEY } from "../config.js";
import { onStageMessage } from "./onStageMessage.js";

/** Stage `transcribe`: FAL submit, or one offline chunk per invocation. */
export const transcribe = onStageMessage("transcribe", { secrets: [FAL_KEY] }, async (message, deps) => {
  const [stage, transcribers] = await Promise.all([
    import("../stages/transcribe.js"),
    import("../providers/transcriber/create.js"),
  ]);
  await stage.transcribe(message, {
    ...deps,
    transcriber: transcribers.transcriberFactory(deps.config, FAL_KEY.value()),
    webhookTokenSecret: FAL_KEY.value(),
  });
});
