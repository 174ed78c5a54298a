/**
 * A voice sample uploaded for enrollment (multipart `file`), embedded by speaker/voiceSample.ts. Refusals are 4xx with
 * a code the app can show.
 */
import type { Request } from "express";
import type { SpeakerEmbedder } from "../model/speaker.js";
import { embedVoiceSample, type EmbeddedVoiceSample } from "../speaker/voiceSample.js";
import { parseMultipartFile } from "./multipart.js";

export const SAMPLE_MAX_BYTES = 25 * 1024 * 1024;

export interface VoiceSample extends EmbeddedVoiceSample {
  /** The upload's bytes, kept in the recordings bucket when the user allows audio storage. */
  chunks: Buffer[];
}

export async function readVoiceSample(req: Request, embedder: SpeakerEmbedder): Promise<VoiceSample> {
  const rawBody = (req as Request & { rawBody?: Buffer }).rawBody;
  const upload = await parseMultipartFile(req.headers, rawBody, { fieldName: "file", maxBytes: SAMPLE_MAX_BYTES });
  return { ...(await embedVoiceSample(upload, embedder)), chunks: upload.chunks };
}
