/**
 * Decoding an upload to the pipeline's audio: 16 kHz mono 16-bit PCM WAV, with ffmpeg from PATH (audio/ffmpeg.ts).
 * Capped in duration twice: by the container's declared duration before decoding (refused at once), and by
 * `-t` while decoding (a file that lies about its length, or declares none, still stops at the cap), so a small
 * upload cannot decode into gigabytes.
 */
import { permanent } from "../errors.js";
import { Readable } from "node:stream";
import { declaredDurationSeconds, demuxerFor, runFfmpeg, streamFfmpeg } from "./ffmpeg.js";
import { readWavInfo } from "./wav.js";

export const TARGET_SAMPLE_RATE = 16_000;

export interface NormalizeOptions {
  /** The container sniffed from the bytes (audio/sniff.ts `ext`); ffmpeg is told, not left to guess. */
  format: string;
  /** Audio longer than this is refused (`audio_too_long`). */
  maxSeconds: number;
}

const tooLong = (seconds: number, max: number) =>
  permanent(
    "audio_too_long",
    `The audio is ${seconds >= max + 1 ? "over" : "about"} ${Math.round(seconds)} s long; ` +
      `at most ${max} s are accepted.`,
  );

/** ffmpeg's arguments to decode `inputPath` to 16 kHz mono 16-bit PCM WAV, up to where its output goes. */
function decodeArgs(inputPath: string, options: NormalizeOptions): string[] {
  return [
    "-f",
    demuxerFor(options.format),
    "-i",
    inputPath,
    // One second past the cap, so audio over it is seen (and refused) rather than silently cut.
    "-t",
    String(options.maxSeconds + 1),
    "-vn",
    "-ac",
    "1",
    "-ar",
    String(TARGET_SAMPLE_RATE),
    "-c:a",
    "pcm_s16le",
    "-map_metadata",
    "-1",
    "-fflags",
    "+bitexact",
    "-flags:a",
    "+bitexact",
    "-f",
    "wav",
  ];
}

/**
 * Converts `inputPath` to 16 kHz mono 16-bit PCM WAV at `outputPath` and returns its duration in seconds.
 * Audio ffmpeg cannot decode is a permanent failure: retrying would not help.
 */
export async function normalizeToWav16kMono(
  inputPath: string,
  outputPath: string,
  options: NormalizeOptions,
): Promise<{ durationS: number }> {
  const declared = await declaredDurationSeconds(inputPath, options.format);
  if (declared !== null && declared > options.maxSeconds + 0.5) throw tooLong(declared, options.maxSeconds);
  try {
    await runFfmpeg([...decodeArgs(inputPath, options), "-y", outputPath]);
  } catch (err) {
    throw permanent("undecodable_audio", `The audio could not be decoded: ${(err as Error).message}`);
  }
  const info = await readWavInfo(outputPath);
  if (!info || info.dataBytes === 0) throw permanent("undecodable_audio", "The audio decoded to no samples.");
  if (info.durationS > options.maxSeconds + 0.5) throw tooLong(info.durationS, options.maxSeconds);
  return { durationS: info.durationS };
}

/**
 * The same decoding as normalizeToWav16kMono, as a WAV stream instead of a file (its header's sizes are
 * placeholders): for reading a few stretches of a kept recording (audio/wavRanges.ts) without holding all of it.
 * Audio ffmpeg cannot decode fails the stream with `undecodable_audio`.
 */
export function decodeToWav16kMonoStream(inputPath: string, options: NormalizeOptions): Readable {
  async function* decoded() {
    try {
      yield* streamFfmpeg(decodeArgs(inputPath, options));
    } catch (err) {
      throw permanent("undecodable_audio", `The audio could not be decoded: ${(err as Error).message}`);
    }
  }
  return Readable.from(decoded());
}
