/**
 * ffmpeg and ffprobe from PATH: the patched distribution build on Cloud Functions' Ubuntu base image, Debian's here
 * (scripts/setup.sh installs it). Located once per instance; a missing binary is a clear configuration error. Every
 * run parses untrusted uploads, so it reads only local files (`-protocol_whitelist file`) with the container format
 * pinned to the one sniffed from the bytes (`-f`), never guessed by ffmpeg's probing.
 */
import { spawn } from "node:child_process";
import { constants, createWriteStream } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { permanent } from "../errors.js";

const located = new Map<string, Promise<string>>();

/** The absolute path of `name` (ffmpeg, ffprobe): `$FFMPEG_PATH`/`$FFPROBE_PATH` when set, else the first on PATH. */
export function locateBinary(name: "ffmpeg" | "ffprobe"): Promise<string> {
  let found = located.get(name);
  if (!found) {
    found = (async () => {
      const override = process.env[`${name.toUpperCase()}_PATH`];
      const candidates = override
        ? [override]
        : (process.env.PATH ?? "")
            .split(delimiter)
            .filter(Boolean)
            .map((d) => join(d, name));
      for (const candidate of candidates) {
        if (
          await access(candidate, constants.X_OK).then(
            () => true,
            () => false,
          )
        )
          return candidate;
      }
      throw permanent(
        "ffmpeg_missing",
        `${name} was not found ${override ? `at ${override}` : "on PATH"}: install the distribution's ffmpeg ` +
          "(apt-get install ffmpeg; Cloud Functions' base image has it).",
      );
    })();
    located.set(name, found);
    found.catch(() => located.delete(name));
  }
  return found;
}

/** Options every run gets: quiet, local files only (and, for ffmpeg, no stdin). */
const SAFE_INPUT = ["-hide_banner", "-v", "error", "-protocol_whitelist", "file"];

/**
 * Runs a binary; resolves with stdout on exit 0 (or writes it to `stdoutTo`), rejects with the stderr tail otherwise.
 */
function run(binary: string, args: string[], opts: { stdoutTo?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    if (opts.stdoutTo) child.stdout.pipe(createWriteStream(opts.stdoutTo));
    else child.stdout.on("data", (d: Buffer) => (stdout = (stdout + d.toString()).slice(-64_000)));
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      code === 0 ? resolve(stdout) : reject(new Error(`exited ${code ?? signal}: ${stderr.trim().slice(-500)}`)),
    );
  });
}

export async function runFfmpeg(args: string[], opts: { stdoutTo?: string } = {}): Promise<string> {
  return run(await locateBinary("ffmpeg"), ["-nostdin", ...SAFE_INPUT, ...args], opts);
}

/**
 * Runs ffmpeg with its output on stdout (`pipe:1`) and yields it as it comes, without a file in between; throws after
 * the last chunk when ffmpeg failed. Stopping early (a consumer that returns) kills it.
 */
export async function* streamFfmpeg(args: string[]): AsyncGenerator<Buffer> {
  const child = spawn(await locateBinary("ffmpeg"), ["-nostdin", ...SAFE_INPUT, ...args, "pipe:1"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number | string | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? signal));
  });
  let finished = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    finished = true;
  } finally {
    if (!finished) child.kill("SIGKILL");
  }
  const code = await exited;
  if (code !== 0) throw new Error(`exited ${code}: ${stderr.trim().slice(-500)}`);
}

/** The ffmpeg demuxer for each container we accept (audio/sniff.ts formats). */
export const DEMUXERS: Record<string, string> = {
  wav: "wav",
  mp3: "mp3",
  m4a: "mov",
  aac: "aac",
  ogg: "ogg",
  opus: "ogg",
  flac: "flac",
  webm: "matroska",
};

export const demuxerFor = (ext: string): string => {
  const demuxer = DEMUXERS[ext];
  if (!demuxer) throw permanent("unsupported_media_type", `No decoder is allowed for .${ext} files.`);
  return demuxer;
};

/** The duration the container declares (seconds), or null when it declares none (e.g. a raw ADTS or streamed file). */
export async function declaredDurationSeconds(path: string, ext: string): Promise<number | null> {
  const ffprobe = await locateBinary("ffprobe");
  const demuxer = demuxerFor(ext);
  let out: string;
  try {
    out = await run(ffprobe, [...SAFE_INPUT, "-f", demuxer, "-show_entries", "format=duration", "-of", "json", path]);
  } catch (err) {
    throw permanent("undecodable_audio", `The audio could not be read: ${(err as Error).message}`);
  }
  const duration = Number((JSON.parse(out) as { format?: { duration?: string } }).format?.duration);
  return Number.isFinite(duration) && duration > 0 ? duration : null;
}
