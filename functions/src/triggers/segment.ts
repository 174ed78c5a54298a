import { onStageMessage } from "./onStageMessage.js";

/** Stage `segment`: words → TranscriptSegments, with the 85 % sanity check. */
export const segment = onStageMessage("segment", {}, async (message, deps) =>
  (await import("../stages/segment.js")).segment(message, deps),
);
