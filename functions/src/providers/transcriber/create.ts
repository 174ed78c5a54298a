/** Chooses and builds the transcriber from configuration (docs/transcription.md "Choosing the transcriber"). */
import type { Config } from "../../config.js";
import { permanent } from "../../errors.js";
import type { FalSettings } from "./fal.js";
import type { QueuedTranscriber, Transcriber, TranscriberFactory, TranscriberKind } from "./types.js";

/**
 * FAL's settings, refusing to start half-configured: without FAL_KEY there is nothing to call with, and the webhook
 * tokens (HMACs keyed by it) could be computed from a job id; without FAL_USER_ID nothing ties a signed webhook to
 * our account, since FAL signs every customer's webhooks with the same keys.
 */
export function falSettings(config: Config, falKey: string): FalSettings {
  const missing = [!falKey && "the FAL_KEY secret", !config.falUserId && "FAL_USER_ID"].filter(Boolean);
  if (missing.length)
    throw permanent("fal_not_configured", `FAL transcription needs ${missing.join(" and ")}; set them and retry.`);
  return { key: falKey, endpoint: config.falEndpoint, baseUrl: config.falBaseUrl, timeoutMs: config.falTimeoutMs };
}

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
    return new FalTranscriber(falSettings(config, falKey));
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
  return new FalTranscriber(falSettings(config, falKey));
}
