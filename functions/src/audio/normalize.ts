/** Decodes any supported upload with ffmpeg (shipped in npm, so it also exists in deployed functions). */
import { spawn } from "node:child_process";
import ffmpegInstaller from "@ffmpeg-installer/ffmpeg";
import { permanent } from "../errors.js";
import { readWavInfo } from "./wav.js";

export const TARGET_SAMPLE_RATE = 16_000;

export function ffmpegPath(): string {
  return process.env.FFMPEG_PATH || ffmpegInstaller.path;
}

/** Runs ffmpeg; resolves with stderr on exit 0, rejects with the stderr tail otherwise. */
export function runFfmpeg(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath(), ["-hide_banner", "-nostdin", "-v", "error", ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(stderr) : reject(new Error(`ffmpeg exited ${code}: ${stderr.trim().slice(-500)}`)),
    );
  });
}

/**
 * Converts `inputPath` to 16 kHz mono 16-bit PCM WAV at `outputPath` and returns its duration in seconds.
 * Audio ffmpeg cannot decode is a permanent failure: retrying would not help.
 */
export async function normalizeToWav16kMono(inputPath: string, outputPath: string): Promise<{ durationS: number }> {
  try {
    await runFfmpeg([
      "-i",
      inputPath,
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
      "-y",
      outputPath,
    ]);
  } catch (err) {
    throw permanent("undecodable_audio", `The audio could not be decoded: ${(err as Error).message}`);
  }
  const info = await readWavInfo(outputPath);
  if (!info || info.dataBytes === 0) throw permanent("undecodable_audio", "The audio decoded to no samples.");
  return { durationS: info.durationS };
}
