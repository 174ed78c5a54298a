/**
 * The speaker model behind SPEAKER_MODEL_URI (`gs://bucket/object` or an https URL): fetched once per instance into
 * the OS temp directory under its pinned SHA-256, and checked against that digest before anything loads it, so a
 * tampered or half-written object is never run. Also reads the calibration stored beside a model.
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { parseSpeakerModelUri, runsAgainstEmulators, type SpeakerModelLocation } from "../../config.js";
import { PipelineError, transient } from "../../errors.js";
import * as logs from "../../logs.js";
import { speakerCalibrationSchema, type SpeakerCalibration } from "../../model/speaker.js";
import { bucket } from "../../store/firebase.js";
import { SpeakerModelError } from "./onnx.js";

/** Where fetched models live: Cloud Functions' /tmp is per instance (and counts against its memory). */
export const DEFAULT_MODEL_DIR = join(tmpdir(), "speaker-models");
/** Real speaker models are 5–100 MB; anything this large is a wrong object, and /tmp is memory. */
export const MAX_MODEL_BYTES = 512 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 5 * 60_000;
/** HTTP statuses that say the URI (or our access to it) is wrong: configuration, not worth retrying. */
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 410]);

export interface ModelFetchOptions {
  /** Directory for fetched models; DEFAULT_MODEL_DIR unless a test isolates itself. */
  dir?: string;
  /** Allow plain http to loopback; by default only when running against the emulators. */
  allowLoopbackHttp?: boolean;
}

/** One fetch per destination (that is, per digest) for the life of the instance; failures are forgotten. */
const fetches = new Map<string, Promise<string>>();

/**
 * The local path of the model at `uri` whose SHA-256 is `sha256`. Concurrent callers share one download; a model
 * already in the directory with the right digest is used as it is. A digest mismatch rejects with a
 * SpeakerModelError naming both digests and leaves no file behind; nothing failed is cached.
 */
export function fetchSpeakerModel(uri: string, sha256: string, options: ModelFetchOptions = {}): Promise<string> {
  const expected = sha256.trim().toLowerCase();
  const dir = options.dir ?? DEFAULT_MODEL_DIR;
  const destination = join(dir, `${expected}.onnx`);
  let fetching = fetches.get(destination);
  if (!fetching) {
    fetching = (async () => {
      const location = parseSpeakerModelUri(uri, {
        allowLoopbackHttp: options.allowLoopbackHttp ?? runsAgainstEmulators(),
      });
      if (await hasDigest(destination, expected)) return destination;
      await mkdir(dir, { recursive: true });
      await download(location, uri, expected, destination);
      return destination;
    })();
    fetches.set(destination, fetching);
    fetching.catch(() => fetches.delete(destination));
  }
  return fetching;
}

/** Checks a local model file (SPEAKER_MODEL_PATH with SPEAKER_MODEL_SHA256) against its pinned digest. */
export async function verifySpeakerModelFile(path: string, sha256: string): Promise<void> {
  const expected = sha256.trim().toLowerCase();
  let actual: string;
  try {
    actual = await sha256OfFile(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String(error);
    throw new SpeakerModelError(`Speaker model ${path}: ${reason}`, { cause: error });
  }
  if (actual !== expected) throw digestMismatch(path, expected, actual, "the file was not loaded");
}

/**
 * Where a model's calibration lives: beside it, with `.onnx` replaced by `.calibration.json` (appended when the
 * name has no `.onnx`). Works for gs:// URIs, URLs (the path part; the query is kept) and local paths alike.
 */
export function calibrationUriFor(model: string): string {
  const beside = (path: string) => `${path.replace(/\.onnx$/i, "")}.calibration.json`;
  if (/^https?:\/\//i.test(model)) {
    const url = new URL(model);
    url.pathname = beside(url.pathname);
    return url.toString();
  }
  return beside(model);
}

/**
 * The calibration beside `model` (a gs:// URI, an http(s) URL or a local path), validated; null when there is none.
 * A file that is there but malformed is a SpeakerModelError: a threshold we cannot read must not be guessed.
 */
export async function readSpeakerCalibration(
  model: string,
  options: Pick<ModelFetchOptions, "allowLoopbackHttp"> & {
    /** The digest the calibration must have (SPEAKER_CALIBRATION_SHA256); empty: unchecked. */
    sha256?: string;
    /** The model is pinned: a calibration found beside it must be pinned too. */
    pinRequired?: boolean;
  } = {},
): Promise<SpeakerCalibration | null> {
  const where = calibrationUriFor(model);
  const text = await readSmallObject(where, options);
  if (text === null) return null;
  const digest = createHash("sha256").update(text).digest("hex");
  if (options.sha256 && digest !== options.sha256) {
    throw new SpeakerModelError(
      `Speaker model calibration ${where}: SHA-256 mismatch: ` +
        `expected ${options.sha256} (SPEAKER_CALIBRATION_SHA256), got ${digest}`,
    );
  }
  if (!options.sha256 && options.pinRequired) {
    throw new SpeakerModelError(
      `Speaker model calibration ${where} is not pinned while its model is: set SPEAKER_CALIBRATION_SHA256 to ` +
        `${digest} if this calibration is the one you measured`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SpeakerModelError(`Speaker model calibration ${where} is not JSON: ${(error as Error).message}`);
  }
  const parsed = speakerCalibrationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SpeakerModelError(
      `Speaker model calibration ${where} is not valid: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/** Text of a small object at a gs:// URI, an http(s) URL or a local path; null when it does not exist. */
async function readSmallObject(
  where: string,
  options: Pick<ModelFetchOptions, "allowLoopbackHttp">,
): Promise<string | null> {
  if (!/^(gs|https?):\/\//i.test(where)) {
    try {
      return await readFile(where, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }
  const location = parseSpeakerModelUri(where, {
    allowLoopbackHttp: options.allowLoopbackHttp ?? runsAgainstEmulators(),
  });
  if (location.kind === "gs") {
    try {
      const [bytes] = await bucket(location.bucket).file(location.object).download();
      return bytes.toString("utf8");
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw fetchFailure(where, error);
    }
  }
  let res: Response;
  try {
    res = await fetch(location.url, { signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw fetchFailure(where, error);
  }
  if (res.status === 404 || res.status === 410) return null;
  if (!res.ok) throw fetchFailure(where, new Error(`HTTP ${res.status}`), res.status);
  return res.text();
}

/** Streams the model into a temporary file while hashing it; only a file with the pinned digest gets its name. */
async function download(
  location: SpeakerModelLocation,
  uri: string,
  expected: string,
  destination: string,
): Promise<void> {
  const started = Date.now();
  const partial = `${destination}.${randomUUID()}.part`;
  const hash = createHash("sha256");
  let bytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > MAX_MODEL_BYTES) {
        done(new SpeakerModelError(`Speaker model ${uri} is larger than ${MAX_MODEL_BYTES} bytes`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    try {
      await pipeline(await openModel(location, uri), hashing, createWriteStream(partial));
    } catch (error) {
      throw error instanceof PipelineError ? error : fetchFailure(uri, error); // already classified, or not yet
    }
    const actual = hash.digest("hex");
    if (actual !== expected) throw digestMismatch(uri, expected, actual, "the download was deleted");
    await rename(partial, destination);
    logs.speakerModelFetched({ uri, sha256: expected, bytes, durationMs: Date.now() - started });
  } finally {
    await rm(partial, { force: true });
  }
}

async function openModel(location: SpeakerModelLocation, uri: string): Promise<Readable> {
  if (location.kind === "gs") return bucket(location.bucket).file(location.object).createReadStream();
  let res: Response;
  try {
    res = await fetch(location.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    throw fetchFailure(uri, error);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw fetchFailure(uri, new Error(`HTTP ${res.status}`), res.status);
  }
  const length = Number(res.headers.get("content-length") ?? 0);
  if (length > MAX_MODEL_BYTES) {
    await res.body.cancel();
    throw new SpeakerModelError(`Speaker model ${uri} is ${length} bytes, more than ${MAX_MODEL_BYTES}`);
  }
  return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
}

/** Whether `path` exists with digest `expected`; a file with another digest is removed (it is not that model). */
async function hasDigest(path: string, expected: string): Promise<boolean> {
  try {
    if ((await sha256OfFile(path)) === expected) return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  await rm(path, { force: true });
  return false;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

const digestMismatch = (what: string, expected: string, actual: string, consequence: string) =>
  new SpeakerModelError(
    `Speaker model ${what}: SHA-256 mismatch: expected ${expected} (SPEAKER_MODEL_SHA256), got ${actual}; ` +
      `${consequence}. Pin the digest \`sha256sum model.onnx\` prints for the intended model.`,
  );

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "number" ? code : undefined;
}

/**
 * A failed fetch: a wrong URI or missing access is configuration (a permanent SpeakerModelError); anything else
 * (network, 5xx, 429, timeouts) is transient, so the stage retries and the next call fetches again.
 */
function fetchFailure(uri: string, error: unknown, status = statusOf(error)): Error {
  const reason = error instanceof Error ? error.message : String(error);
  if (status !== undefined && PERMANENT_STATUSES.has(status))
    return new SpeakerModelError(`Speaker model ${uri} could not be fetched (${status}): ${reason}`, { cause: error });
  const failure = transient("speaker_model_unavailable", `Speaker model ${uri} could not be fetched: ${reason}`);
  failure.cause = error;
  return failure;
}
