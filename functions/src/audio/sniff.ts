/**
 * Recognise an upload's audio container from its first bytes (magic numbers via file-type), never from the
 * filename or the declared content type, which clients get wrong.
 */

export interface AudioFormat {
  /** Extension used in object names. */
  ext: "wav" | "mp3" | "m4a" | "aac" | "ogg" | "opus" | "flac" | "webm";
  contentType: string;
}

/** Bytes of the file's head needed to recognise every supported format. */
export const SNIFF_BYTES = 4100;

const BY_DETECTED_EXT: Record<string, AudioFormat> = {
  wav: { ext: "wav", contentType: "audio/wav" },
  mp3: { ext: "mp3", contentType: "audio/mpeg" },
  m4a: { ext: "m4a", contentType: "audio/mp4" },
  // Many recorders write AAC in an ISO-BMFF container branded as plain mp4; ffmpeg decides later if audio is inside.
  mp4: { ext: "m4a", contentType: "audio/mp4" },
  aac: { ext: "aac", contentType: "audio/aac" },
  opus: { ext: "opus", contentType: "audio/ogg" },
  ogg: { ext: "ogg", contentType: "audio/ogg" },
  oga: { ext: "ogg", contentType: "audio/ogg" },
  flac: { ext: "flac", contentType: "audio/flac" },
  webm: { ext: "webm", contentType: "audio/webm" },
};

/** Content types a client may announce for a resumable upload, mapped to the format we expect to find. */
export const DECLARABLE_CONTENT_TYPES: Record<string, AudioFormat> = {
  "audio/wav": BY_DETECTED_EXT.wav,
  "audio/x-wav": BY_DETECTED_EXT.wav,
  "audio/wave": BY_DETECTED_EXT.wav,
  "audio/mpeg": BY_DETECTED_EXT.mp3,
  "audio/mp3": BY_DETECTED_EXT.mp3,
  "audio/mp4": BY_DETECTED_EXT.m4a,
  "audio/x-m4a": BY_DETECTED_EXT.m4a,
  "audio/m4a": BY_DETECTED_EXT.m4a,
  "audio/aac": BY_DETECTED_EXT.aac,
  "audio/ogg": BY_DETECTED_EXT.ogg,
  "audio/opus": BY_DETECTED_EXT.opus,
  "audio/flac": BY_DETECTED_EXT.flac,
  "audio/x-flac": BY_DETECTED_EXT.flac,
  "audio/webm": BY_DETECTED_EXT.webm,
};

export const SUPPORTED_FORMATS_TEXT = "WAV, MP3, M4A/AAC, Ogg (Opus/Vorbis), FLAC or WebM audio";

/** The audio format of a file whose first bytes are `head`, or null when it is not a supported audio file. */
export async function sniffAudioFormat(head: Uint8Array): Promise<AudioFormat | null> {
  if (head.length < 12) return null;
  // Loaded on first use: only the upload endpoints and prepareAudio sniff content.
  const { fileTypeFromBuffer } = await import("file-type");
  const detected = await fileTypeFromBuffer(head);
  return (detected && BY_DETECTED_EXT[detected.ext]) ?? null;
}
