/** Chooses and builds the transcriber from configuration (README "Transcription"). */
import type { Config } from "../../config.js";
import type { QueuedTranscriber, Transcriber, TranscriberFactory, TranscriberKind } from "./types.js";

/** FAL when configured (or forced); otherwise the offline transcriber if this machine has it; otherwise none. Pure. */
export function chooseTranscriber(
  setting: Config["transcriber"],
  falKey: string,
  localAvailable: boolean,
): TranscriberKind | null {
  if (setting === "fal") return "fal";
  if (setting === "auto" && falKey) return "fal";
  return localAvailable ? "local" : null;
}

export async function createTranscriber(kind: TranscriberKind, config: Config, falKey: string): Promise<Transcriber> {
  if (kind === "fal") {
    const { FalTranscriber } = await import("./fal.js");
    return new FalTranscriber({ key: falKey, endpoint: config.falEndpoint, baseUrl: config.falBaseUrl });
  }
  const { LocalTranscriber } = await import("./local.js");
  return new LocalTranscriber();
}

/** The factory the transcribe stage is given: a job keeps the adapter it started with. */
export function transcriberFactory(config: Config, falKey: string): TranscriberFactory {
  return async (previous) => {
    const { localTranscriberAvailable } = await import("./local.js");
    const kind = previous ?? chooseTranscriber(config.transcriber, falKey, await localTranscriberAvailable());
    return kind ? createTranscriber(kind, config, falKey) : null;
  };
}

/** The queued (FAL) adapter, for results that arrive outside the stage: the webhook and polling. */
export async function createFalTranscriber(config: Config, falKey: string): Promise<QueuedTranscriber> {
  const { FalTranscriber } = await import("./fal.js");
  return new FalTranscriber({ key: falKey, endpoint: config.falEndpoint, baseUrl: config.falBaseUrl });
}
