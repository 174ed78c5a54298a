import { OPENAI_API_KEY } from "../config.js";
import { onStageMessage } from "./onStageMessage.js";

/** Stage `reprocess`: structure (LLM or local), the memory's vector, and the job's completion. */
export const reprocess = onStageMessage("reprocess", { secrets: [OPENAI_API_KEY] }, async (message, deps) => {
  const [stage, extractors, embedders] = await Promise.all([
    import("../stages/reprocess.js"),
    import("../providers/extractor/create.js"),
    import("../providers/textEmbedder/create.js"),
  ]);
  const key = OPENAI_API_KEY.value();
  await stage.reprocess(message, {
    ...deps,
    extractor: () => extractors.createExtractor(deps.config, key),
    textEmbedder: () => embedders.createTextEmbedder(deps.config, key),
  });
});
