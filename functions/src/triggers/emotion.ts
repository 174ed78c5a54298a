import { HUME_API_KEY } from "../config.js";
import { onStageMessage } from "./onStageMessage.js";

/** Stage `emotion` (optional): the user's emotions in their own speech, and perhaps a notification. */
export const emotion = onStageMessage("emotion", { secrets: [HUME_API_KEY] }, async (message, deps) => {
  const [stage, analyzers, notifiers] = await Promise.all([
    import("../stages/emotion.js"),
    import("../providers/emotion/create.js"),
    import("../providers/notifier/create.js"),
  ]);
  await stage.emotion(message, {
    ...deps,
    analyzer: () => analyzers.createEmotionAnalyzer(deps.config, HUME_API_KEY.value()),
    notifier: () => notifiers.createNotifier(deps.config),
  });
});
