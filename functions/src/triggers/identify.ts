import { onStageMessage } from "./onStageMessage.js";

/** Stage `identify`: speaker identification against voice profiles; saves the memory's new transcript. */
export const identify = onStageMessage("identify", {}, async (message, deps) => {
  const [stage, embedders] = await Promise.all([
    import("../stages/identify.js"),
    import("../providers/speakerEmbedder/create.js"),
  ]);
  await stage.identify(message, { ...deps, speakerEmbedder: () => embedders.speakerEmbedderFor(deps.config) });
});
