import { redriveTopicOf } from "../pipeline/definition.js";
import { onStageMessage } from "./onStageMessage.js";

/** Stage `prepare_audio` again, for jobs the re-drive found stalled (a storage event cannot be replayed). */
export const prepareAudioRedrive = onStageMessage(
  "prepare_audio",
  {},
  async (message, deps) => (await import("../stages/prepareAudio.js")).redrivePrepareAudio(message, deps),
  { topic: redriveTopicOf("prepare_audio"), name: "prepareAudioRedrive" },
);
