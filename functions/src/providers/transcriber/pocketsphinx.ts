/**
 * Local speech-to-text with CMU PocketSphinx (Debian packages `pocketsphinx` + `pocketsphinx-en-us`): the only real
 * offline recognizer available here. Its accuracy is poor (WER ~55% on real speech), so it serves as a smoke-level
 * real STT, not as a production transcriber.
 */
import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { readWavInfo } from "../../audio/wav.js";
import type { Word } from "../../model/transcript.js";

const DEFAULT_BINARY = "pocketsphinx_continuous";

export function pocketsphinxPath(): string {
  return process.env.POCKETSPHINX_PATH || DEFAULT_BINARY;
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/**
 * Whether the binary exists: POCKETSPHINX_PATH if set (a path or a name on PATH), else pocketsphinx_continuous on PATH.
 */
export async function isPocketsphinxAvailable(): Promise<boolean> {
  const binary = pocketsphinxPath();
  if (binary.includes("/")) return isExecutable(binary);
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const dir of dirs) if (await isExecutable(join(dir, binary))) return true;
  return false;
}

/**
 * Transcribes a 16 kHz mono 16-bit WAV (the pipeline's normalized audio; the en-us model is trained at 16 kHz and
 * the tool does not resample). Words have absolute times in seconds and no speaker.
 */
export async function recognizeWav(wavPath: string): Promise<Word[]> {
  const info = await readWavInfo(wavPath);
  if (!info || info.sampleRate !== 16_000 || info.channels !== 1 || info.bitsPerSample !== 16) {
    const actual = info
      ? `${info.sampleRate} Hz, ${info.channels} channel(s), ${info.bitsPerSample}-bit`
      : "not a WAV file";
    throw new Error(`pocketsphinx needs 16 kHz mono 16-bit WAV; ${wavPath} is ${actual}`);
  }
  // No `-logfn /dev/null`: the log goes to stderr, whose tail then explains a failure (only the tail is kept).
  const stdout = await run(pocketsphinxPath(), ["-infile", wavPath, "-time", "yes"]);
  return parsePocketsphinxOutput(stdout);
}

function run(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on("error", (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "ENOENT"
          ? new Error(
              `pocketsphinx is not installed: ${binary} was not found ` +
                "(apt-get install pocketsphinx pocketsphinx-en-us, or set POCKETSPHINX_PATH)",
            )
          : err,
      );
    });
    child.on("close", (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${binary} exited ${code ?? signal}: ${stderr.trim().slice(-500) || "(no stderr)"}`));
    });
  });
}

/** `word start end confidence` lines; the plain hypothesis lines between them never end in three numbers. */
const WORD_LINE = /^(\S+)\s+(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)$/;
/** Sentence markers <s> </s>, silence <sil>, and noise/filler words such as [NOISE] or ++BREATH++. */
const NON_WORD = /^(<.*>|\[.*\]|\+\+.*\+\+)$/;

export function parsePocketsphinxOutput(stdout: string): Word[] {
  const words: Word[] = [];
  for (const line of stdout.split("\n")) {
    const m = WORD_LINE.exec(line.trim());
    if (!m || NON_WORD.test(m[1])) continue;
    words.push({
      // "read(2)" is the dictionary's second pronunciation of "read": the word is the same.
      text: m[1].replace(/\(\d+\)$/, ""),
      start: Number(m[2]),
      end: Number(m[3]),
      speaker: null,
      // A posterior probability, printed with rounding that can exceed 1 slightly.
      confidence: Math.min(1, Number(m[4])),
    });
  }
  return words;
}
