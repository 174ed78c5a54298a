/**
 * Every parameter and secret the functions read, in one place. Params are resolved by the Functions runtime from
 * `functions/.env`, `.env.<projectId>` (and `.env.local` in the emulator); their defaults live here only. Trigger
 * options reference the param objects themselves so deploys bind them, and handlers call `loadConfig()` at run time.
 * Secrets are bound in the options of the triggers that use them and read with `.value()` inside those handlers.
 */
import { defineInt, defineSecret, defineString } from "firebase-functions/params";
import type { FairUseCaps } from "./model/fairUse.js";
import type { PriceTable } from "./model/usage.js";

export const REGION = "us-central1";

/**
 * A failing event is redelivered (retry: true) until it is this old; the stage then fails the job instead of
 * throwing. Storage events carry one upload, so an hour of retries is plenty; stage messages get two.
 */
export const STORAGE_EVENT_MAX_AGE_MS = 60 * 60 * 1000;
export const MESSAGE_MAX_AGE_MS = 2 * 60 * 60 * 1000;

export const POSTPROCESSING_BUCKET = defineString("POSTPROCESSING_BUCKET", {
  description: "Bucket holding uploaded audio for post-processing and its normalized copies (deleted after retention).",
});
export const RECORDINGS_BUCKET = defineString("RECORDINGS_BUCKET", {
  description: "Bucket keeping recordings of users who allow audio storage (store_recording_permission).",
});
export const MAX_UPLOAD_BYTES = defineInt("MAX_UPLOAD_BYTES", {
  description: "Largest audio file accepted in the multipart upload (the platform caps the whole body at 32 MiB).",
  default: 30 * 1024 * 1024,
});
export const MAX_RESUMABLE_UPLOAD_BYTES = defineInt("MAX_RESUMABLE_UPLOAD_BYTES", {
  description: "Largest audio file accepted through a resumable upload session.",
  default: 1024 * 1024 * 1024,
});
export const MAX_AUDIO_SECONDS = defineInt("MAX_AUDIO_SECONDS", {
  description:
    "Longer audio is refused (checked before and while decoding, so a small file cannot decode into gigabytes).",
  default: 4 * 3600,
});
export const MIN_AUDIO_SECONDS = defineInt("MIN_AUDIO_SECONDS", {
  description: "Audio shorter than this is never post-processed (the job is canceled).",
  default: 10,
});
export const TRANSCRIPT_SHORTFALL_SECONDS = defineInt("TRANSCRIPT_SHORTFALL_SECONDS", {
  description: "Audio shorter than the memory's existing transcript span minus this many seconds is a cut-off upload.",
  default: 10,
});
export const POSTPROCESSING_RETENTION_HOURS = defineInt("POSTPROCESSING_RETENTION_HOURS", {
  description: "Hours post-processing audio is kept after upload (never deleted before its job is terminal).",
  default: 24,
});
export const AUDIT_GRACE_HOURS = defineInt("AUDIT_GRACE_HOURS", {
  description:
    "The daily bucket audit deletes an object no memory, job, profile or sample refers to once it is this old.",
  default: 24,
});
export const JOB_STALE_AFTER_MINUTES = defineInt("JOB_STALE_AFTER_MINUTES", {
  description: "An in-progress job untouched this long no longer blocks a new upload for the memory.",
  default: 120,
});
export const STAGE_LEASE_SECONDS = defineInt("STAGE_LEASE_SECONDS", {
  description: "How long a stage invocation owns its stage before another delivery may take over.",
  default: 600,
});
/**
 * The operator's cost cap per heavy function: at most this many instances, each running one job at a time
 * (pipeline/runtime.ts). Work beyond it waits in Pub/Sub (or in Eventarc for uploads) instead of scaling the bill.
 */
export const MAX_INSTANCES_PREPARE_AUDIO = defineInt("MAX_INSTANCES_PREPARE_AUDIO", {
  description: "Most instances of prepareAudio and prepareAudioRedrive (each decodes one upload at a time).",
  default: 20,
});
export const MAX_INSTANCES_TRANSCRIBE = defineInt("MAX_INSTANCES_TRANSCRIBE", {
  description: "Most instances of transcribe (one job at a time: a FAL submit, or an offline chunk in the emulator).",
  default: 20,
});
export const MAX_INSTANCES_IDENTIFY = defineInt("MAX_INSTANCES_IDENTIFY", {
  description: "Most instances of identify (each embeds one recording's speakers at a time).",
  default: 20,
});
export const MAX_INSTANCES_EMOTION = defineInt("MAX_INSTANCES_EMOTION", {
  description: "Most instances of emotion (each sends one recording's user speech to Hume at a time).",
  default: 10,
});
/**
 * Per-user fair use (model/fairUse.ts): audio a user may have post-processed in rolling windows, Omi's speech-time
 * caps by default (2 h a day, 8 h over 3 days, 10 h a week); 0 turns a cap off. Over a cap, an upload or a re-run gets
 * 429 `fair_use_exceeded` with Retry-After.
 */
export const FAIR_USE_DAY_MINUTES = defineInt("FAIR_USE_DAY_MINUTES", {
  description: "Most minutes of audio one user may have post-processed in any 24 hours (0: no cap).",
  default: 120,
});
export const FAIR_USE_3_DAYS_MINUTES = defineInt("FAIR_USE_3_DAYS_MINUTES", {
  description: "Most minutes of audio one user may have post-processed in any 72 hours (0: no cap).",
  default: 480,
});
export const FAIR_USE_WEEK_MINUTES = defineInt("FAIR_USE_WEEK_MINUTES", {
  description: "Most minutes of audio one user may have post-processed in any 7 days (0: no cap).",
  default: 600,
});
export const RERUNS_PER_MEMORY_PER_HOUR = defineInt("RERUNS_PER_MEMORY_PER_HOUR", {
  description: "Stage re-runs one memory may start in any hour (0: no limit).",
  default: 3,
});
export const STAGE_MAX_ATTEMPTS = defineInt("STAGE_MAX_ATTEMPTS", {
  description: "Attempts per stage before the job fails.",
  default: 5,
});

/** FAL (WhisperX-style transcription + diarization). Without the secret the offline transcriber is used. */
export const FAL_KEY = defineSecret("FAL_KEY", {
  description:
    "FAL API key (KEY_ID:KEY_SECRET) for transcription; without it the offline transcriber is used where present.",
});
export const TRANSCRIBER = defineString("TRANSCRIBER", {
  description: "auto (FAL when FAL_KEY is set, else local), fal, or local.",
  default: "auto",
});
export const FAL_ENDPOINT = defineString("FAL_ENDPOINT", {
  description: "FAL model endpoint id.",
  default: "fal-ai/whisper",
});
export const FAL_BASE_URL = defineString("FAL_BASE_URL", {
  description: "Origin for FAL queue calls: FAL itself, or a proxy / local fake (tests).",
  default: "https://queue.fal.run",
});
export const FAL_JWKS_URL = defineString("FAL_JWKS_URL", {
  description: "Where FAL publishes the Ed25519 keys that sign its webhooks.",
  default: "https://rest.alpha.fal.ai/.well-known/jwks.json",
});
export const FAL_WEBHOOK_URL = defineString("FAL_WEBHOOK_URL", {
  description: 'Public URL of the falWebhook function, or "auto" to derive it from the project and region.',
  default: "auto",
});
export const FAL_USER_ID = defineString("FAL_USER_ID", {
  description:
    "Our FAL account's user id (required with FAL): webhooks signed for another account are refused, and the FAL " +
    "transcriber does not start without it.",
  default: "",
});
export const FAL_TIMEOUT_SECONDS = defineInt("FAL_TIMEOUT_SECONDS", {
  description: "Timeout of one FAL queue request (submit, status, result); the client retries some failures itself.",
  default: 30,
});
export const FAL_WEBHOOK_GRACE_MINUTES = defineInt("FAL_WEBHOOK_GRACE_MINUTES", {
  description: "After this long without a webhook, the recovery job polls FAL for the result.",
  default: 10,
});
export const FAL_MAX_WAIT_MINUTES = defineInt("FAL_MAX_WAIT_MINUTES", {
  description: "A FAL request still unfinished after this long fails the job.",
  default: 180,
});
export const LOCAL_CHUNK_SECONDS = defineInt("LOCAL_CHUNK_SECONDS", {
  description: "Offline transcription handles at most this much audio per invocation (cut at silences).",
  default: 240,
});

/** Segments and speaker identification. */
export const SEGMENT_MAX_GAP_SECONDS = defineString("SEGMENT_MAX_GAP_SECONDS", {
  description: "A pause this long (seconds) between two words of one speaker starts a new segment.",
  default: "1.5",
});
export const SEGMENT_MAX_SECONDS = defineInt("SEGMENT_MAX_SECONDS", {
  description: "Longest segment, in seconds.",
  default: 30,
});
export const SPEAKER_MODEL_PATH = defineString("SPEAKER_MODEL_PATH", {
  description:
    "Path (in the deployed source) of a wespeaker-style ONNX speaker-embedding model, " +
    'or "baseline" for the built-in MFCC+pitch embedder.',
  default: "baseline",
});
export const SPEAKER_MODEL_URI = defineString("SPEAKER_MODEL_URI", {
  description:
    "gs://bucket/object or https:// URL of a wespeaker-style ONNX speaker model, fetched once per instance and " +
    "checked against SPEAKER_MODEL_SHA256 (empty: SPEAKER_MODEL_PATH decides). Wins over SPEAKER_MODEL_PATH.",
  default: "",
});
export const SPEAKER_MODEL_SHA256 = defineString("SPEAKER_MODEL_SHA256", {
  description:
    "Pinned SHA-256 (hex, as `sha256sum model.onnx` prints it) of the speaker model; required with " +
    "SPEAKER_MODEL_URI, and checked against the SPEAKER_MODEL_PATH file when set with it.",
  default: "",
});
export const SPEAKER_CALIBRATION_SHA256 = defineString("SPEAKER_CALIBRATION_SHA256", {
  description:
    "Pinned SHA-256 (hex) of the calibration JSON beside a pinned speaker model: its threshold decides who is " +
    "who, so a pinned model's calibration is pinned too (required with SPEAKER_MODEL_SHA256 when there is one).",
  default: "",
});
export const SPEAKER_MODEL_THREADS = defineInt("SPEAKER_MODEL_THREADS", {
  description: "onnxruntime intra-op threads for the speaker model; 1 suits the 1-CPU stage functions.",
  default: 1,
});
export const SPEAKER_MATCH_THRESHOLD = defineString("SPEAKER_MATCH_THRESHOLD", {
  description:
    '"calibrated": the threshold (and score normalisation) stored with the speaker model, the baseline\'s shipped ' +
    'one (README "Speaker identification"); or a number in [-1, 1] to pin the threshold on the model\'s score scale.',
  default: "calibrated",
});

/** Reprocessing: structure extraction (OpenAI when its key is set, else the local extractive one) and embeddings. */
export const OPENAI_API_KEY = defineSecret("OPENAI_API_KEY", {
  description: "OpenAI API key for structure extraction and embeddings; without it the local adapters are used.",
});
export const EXTRACTOR = defineString("EXTRACTOR", {
  description: "auto (OpenAI when OPENAI_API_KEY is set, else local), openai, or local.",
  default: "auto",
});
export const TEXT_EMBEDDER = defineString("TEXT_EMBEDDER", {
  description: "auto (OpenAI when OPENAI_API_KEY is set, else local), openai, or local.",
  default: "auto",
});
export const OPENAI_BASE_URL = defineString("OPENAI_BASE_URL", {
  description: "OpenAI API base URL (with /v1): OpenAI itself, a proxy, or a local stand-in (tests).",
  default: "https://api.openai.com/v1",
});
export const OPENAI_MODEL = defineString("OPENAI_MODEL", {
  description: "Chat model for structure extraction (structured outputs).",
  default: "gpt-5-mini",
});
export const OPENAI_TIMEOUT_SECONDS = defineInt("OPENAI_TIMEOUT_SECONDS", {
  description: "Timeout of one OpenAI request.",
  default: 120,
});
export const OPENAI_MAX_RETRIES = defineInt("OPENAI_MAX_RETRIES", {
  description: "Retries the OpenAI SDK makes itself (429/5xx/timeouts, with backoff) before the stage's own retry.",
  default: 2,
});
export const EXTRACTION_TOKEN_BUDGET = defineInt("EXTRACTION_TOKEN_BUDGET", {
  description: "Most transcript tokens sent for extraction; longer transcripts are cut (and the cut recorded).",
  default: 12000,
});
export const EMBEDDING_MODEL = defineString("EMBEDDING_MODEL", {
  description: "OpenAI embedding model for memory vectors and search queries.",
  default: "text-embedding-3-small",
});
export const EMBEDDING_DIMENSIONS = defineInt("EMBEDDING_DIMENSIONS", {
  description: "Vector size (Firestore allows at most 2048; the vector index in firestore.indexes.json must match).",
  default: 1536,
});
export const EMBEDDING_TOKEN_BUDGET = defineInt("EMBEDDING_TOKEN_BUDGET", {
  description: "Most tokens of title, overview and transcript embedded per memory (the model's limit is 8191).",
  default: 8000,
});
export const PRICES_USD = defineString("PRICES_USD", {
  description: 'USD per billing unit for the cost ledger (JSON; README "Costs").',
  default: JSON.stringify({
    fal_audio_second: 0.0001,
    openai_chat_input_token: 0.25e-6,
    openai_chat_output_token: 2e-6,
    openai_embedding_token: 0.02e-6,
    hume_audio_second: 0.0011,
  }),
});

/** Emotion analysis (only for uploads with emotional_feedback) and notifications. */
export const HUME_API_KEY = defineSecret("HUME_API_KEY", {
  description:
    "Hume API key for expression measurement of the user's speech; without it a local text analyzer is used.",
});
export const EMOTION_ANALYZER = defineString("EMOTION_ANALYZER", {
  description: "auto (Hume when HUME_API_KEY is set, else local), hume, or local.",
  default: "auto",
});
export const HUME_BASE_URL = defineString("HUME_BASE_URL", {
  description: "Hume API origin (a proxy, or a local stand-in in tests).",
  default: "https://api.cloud.hume.ai",
});
export const HUME_TIMEOUT_SECONDS = defineInt("HUME_TIMEOUT_SECONDS", {
  description: "Timeout of one Hume request attempt.",
  default: 90,
});
export const HUME_MAX_RETRIES = defineInt("HUME_MAX_RETRIES", {
  description: "Retries of one Hume request on network errors, 408, 429 and 5xx (with backoff, honouring Retry-After).",
  default: 2,
});
export const HUME_MAX_REQUEST_BYTES = defineInt("HUME_MAX_REQUEST_BYTES", {
  description: "Largest WAV sent in one Hume request (Hume's limit is 25 MB); longer user speech is split.",
  default: 25_000_000,
});
export const EMOTION_MAX_SPEECH_SECONDS = defineInt("EMOTION_MAX_SPEECH_SECONDS", {
  description:
    "Most seconds of the user's own speech analysed per recording (spread over the whole conversation): bounds " +
    "what one emotion analysis costs and how long it takes.",
  default: 1800,
});
export const EMOTION_NOTIFY_THRESHOLD = defineString("EMOTION_NOTIFY_THRESHOLD", {
  description: "The top emotion's score (duration-weighted mean, 0–1) above which the user is notified.",
  default: "0.5",
});
export const NOTIFIER = defineString("NOTIFIER", {
  description: "fcm (firebase-admin messaging), or local (records the notification only; the emulators use it).",
  default: "fcm",
});

/** Test hook (pipeline/faults.ts): only the emulator honours it. */
export const FAULT_INJECTION = defineString("FAULT_INJECTION", {
  description: "on: honour crash points armed by the fault suite (the Functions emulator only); off everywhere else.",
  default: "off",
});

export interface Config {
  postprocessingBucket: string;
  /** Caps in seconds per fair-use window (0: none). */
  fairUse: FairUseCaps;
  rerunsPerMemoryPerHour: number;
  recordingsBucket: string;
  maxUploadBytes: number;
  maxResumableUploadBytes: number;
  maxAudioSeconds: number;
  minAudioSeconds: number;
  transcriptShortfallSeconds: number;
  retentionMs: number;
  /** AUDIT_GRACE_HOURS in ms. */
  auditGraceMs: number;
  jobStaleAfterMs: number;
  stageLeaseMs: number;
  stageMaxAttempts: number;
  transcriber: "auto" | "fal" | "local";
  falEndpoint: string;
  falBaseUrl: string;
  falJwksUrl: string;
  falWebhookUrl: string;
  falUserId: string;
  falTimeoutMs: number;
  falWebhookGraceMs: number;
  falMaxWaitMs: number;
  localChunkSeconds: number;
  segmentMaxGapSeconds: number;
  segmentMaxSeconds: number;
  /** Empty for the built-in baseline embedder (unless speakerModelUri is set). */
  speakerModelPath: string;
  /** gs:// or https:// location of the speaker model (http:// to loopback in the emulator); empty when unset. */
  speakerModelUri: string;
  /** Lowercase hex SHA-256 the model must have; required with speakerModelUri, empty when unset. */
  speakerModelSha256: string;
  /** Lowercase hex SHA-256 its calibration JSON must have; empty when unset. */
  speakerCalibrationSha256: string;
  speakerModelThreads: number;
  /** null: the model's calibrated threshold. */
  speakerMatchThreshold: number | null;
  extractor: "auto" | "openai" | "local";
  textEmbedder: "auto" | "openai" | "local";
  openaiBaseUrl: string;
  openaiModel: string;
  openaiTimeoutMs: number;
  openaiMaxRetries: number;
  extractionTokenBudget: number;
  embeddingModel: string;
  embeddingDimensions: number;
  embeddingTokenBudget: number;
  prices: PriceTable;
  faultInjection: boolean;
  emotionAnalyzer: "auto" | "hume" | "local";
  humeBaseUrl: string;
  humeTimeoutMs: number;
  humeMaxRetries: number;
  humeMaxRequestBytes: number;
  emotionMaxSpeechSeconds: number;
  emotionNotifyThreshold: number;
  notifier: "fcm" | "local";
}

function numberParam(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`${name} must be a number in [${min}, ${max}]; got "${value}"`);
  return n;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new Error(`${name} must be one of ${allowed.join(", ")}; got "${value}"`);
  return value as T;
}

function parsePrices(json: string): PriceTable {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`PRICES_USD must be JSON; got "${json}"`);
  }
  // Checked by hand rather than with the zod schema: this module is loaded by every function at cold start.
  const keys: (keyof PriceTable)[] = [
    "fal_audio_second",
    "openai_chat_input_token",
    "openai_chat_output_token",
    "openai_embedding_token",
    "hume_audio_second",
  ];
  const table = value as Record<string, unknown>;
  const bad = keys.filter((k) => typeof table?.[k] !== "number" || !(table[k] >= 0));
  if (bad.length) throw new Error(`PRICES_USD needs non-negative numbers for ${bad.join(", ")}`);
  return Object.fromEntries(keys.map((k) => [k, table[k] as number])) as unknown as PriceTable;
}

/**
 * The Functions emulator, or a test process talking to the emulators (the Admin SDK is pointed at the Storage
 * emulator): the only places a speaker model may come from plain http on the loopback interface.
 */
export const runsAgainstEmulators = () =>
  process.env.FUNCTIONS_EMULATOR === "true" || Boolean(process.env.FIREBASE_STORAGE_EMULATOR_HOST);

export type SpeakerModelLocation = { kind: "gs"; bucket: string; object: string } | { kind: "http"; url: URL };

/**
 * Where SPEAKER_MODEL_URI points: `gs://bucket/object` or an `https://` URL; `http://` only to 127.0.0.1 / localhost
 * and only when `allowLoopbackHttp` (the emulator and tests), so a production model always arrives over TLS or from
 * our own Storage.
 */
export function parseSpeakerModelUri(uri: string, options: { allowLoopbackHttp: boolean }): SpeakerModelLocation {
  const gs = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])\/(.+)$/.exec(uri);
  if (gs) return { kind: "gs", bucket: gs[1], object: gs[2] };
  let url: URL | undefined;
  try {
    url = new URL(uri);
  } catch {
    // reported below
  }
  if (url?.protocol === "https:" && url.hostname) return { kind: "http", url };
  const loopback = url?.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url && loopback && options.allowLoopbackHttp) return { kind: "http", url };
  throw new Error(
    `SPEAKER_MODEL_URI must be gs://bucket/object or an https:// URL` +
      `${loopback ? " (plain http to loopback only in the emulator)" : ""}; got "${uri}"`,
  );
}

/** The speaker-model params, checked together: a URI needs its pinned digest. */
function speakerModelParams(): Pick<
  Config,
  "speakerModelPath" | "speakerModelUri" | "speakerModelSha256" | "speakerCalibrationSha256"
> {
  const uri = SPEAKER_MODEL_URI.value().trim();
  const sha256 = SPEAKER_MODEL_SHA256.value().trim().toLowerCase();
  if (sha256 && !/^[0-9a-f]{64}$/.test(sha256))
    throw new Error(`SPEAKER_MODEL_SHA256 must be 64 hex digits (sha256sum model.onnx); got "${sha256}"`);
  const calibration = SPEAKER_CALIBRATION_SHA256.value().trim().toLowerCase();
  if (calibration && !/^[0-9a-f]{64}$/.test(calibration))
    throw new Error(`SPEAKER_CALIBRATION_SHA256 must be 64 hex digits; got "${calibration}"`);
  if (uri) {
    parseSpeakerModelUri(uri, { allowLoopbackHttp: runsAgainstEmulators() });
    if (!sha256)
      throw new Error("SPEAKER_MODEL_SHA256 is required when SPEAKER_MODEL_URI is set (sha256sum model.onnx)");
  }
  const path = SPEAKER_MODEL_PATH.value().trim();
  return {
    speakerModelPath: path === "baseline" ? "" : path,
    speakerModelUri: uri,
    speakerModelSha256: sha256,
    speakerCalibrationSha256: calibration,
  };
}

function defaultWebhookUrl(): string {
  const project = process.env.GCLOUD_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT ?? "";
  return process.env.FUNCTIONS_EMULATOR === "true"
    ? `http://127.0.0.1:5001/${project}/${REGION}/falWebhook`
    : `https://${REGION}-${project}.cloudfunctions.net/falWebhook`;
}

export function loadConfig(): Config {
  return {
    postprocessingBucket: POSTPROCESSING_BUCKET.value(),
    fairUse: {
      day: FAIR_USE_DAY_MINUTES.value() * 60,
      "3_days": FAIR_USE_3_DAYS_MINUTES.value() * 60,
      week: FAIR_USE_WEEK_MINUTES.value() * 60,
    },
    rerunsPerMemoryPerHour: RERUNS_PER_MEMORY_PER_HOUR.value(),
    recordingsBucket: RECORDINGS_BUCKET.value(),
    maxUploadBytes: MAX_UPLOAD_BYTES.value(),
    maxResumableUploadBytes: MAX_RESUMABLE_UPLOAD_BYTES.value(),
    maxAudioSeconds: MAX_AUDIO_SECONDS.value(),
    minAudioSeconds: MIN_AUDIO_SECONDS.value(),
    transcriptShortfallSeconds: TRANSCRIPT_SHORTFALL_SECONDS.value(),
    retentionMs: POSTPROCESSING_RETENTION_HOURS.value() * 3_600_000,
    auditGraceMs: AUDIT_GRACE_HOURS.value() * 3_600_000,
    jobStaleAfterMs: JOB_STALE_AFTER_MINUTES.value() * 60_000,
    stageLeaseMs: STAGE_LEASE_SECONDS.value() * 1000,
    stageMaxAttempts: STAGE_MAX_ATTEMPTS.value(),
    transcriber: oneOf("TRANSCRIBER", TRANSCRIBER.value(), ["auto", "fal", "local"] as const),
    falEndpoint: FAL_ENDPOINT.value(),
    falBaseUrl: FAL_BASE_URL.value(),
    falJwksUrl: FAL_JWKS_URL.value(),
    falWebhookUrl: FAL_WEBHOOK_URL.value() === "auto" ? defaultWebhookUrl() : FAL_WEBHOOK_URL.value(),
    falUserId: FAL_USER_ID.value(),
    falTimeoutMs: FAL_TIMEOUT_SECONDS.value() * 1000,
    falWebhookGraceMs: FAL_WEBHOOK_GRACE_MINUTES.value() * 60_000,
    falMaxWaitMs: FAL_MAX_WAIT_MINUTES.value() * 60_000,
    localChunkSeconds: LOCAL_CHUNK_SECONDS.value(),
    segmentMaxGapSeconds: numberParam("SEGMENT_MAX_GAP_SECONDS", SEGMENT_MAX_GAP_SECONDS.value(), 0, 60),
    segmentMaxSeconds: SEGMENT_MAX_SECONDS.value(),
    ...speakerModelParams(),
    speakerModelThreads: SPEAKER_MODEL_THREADS.value(),
    speakerMatchThreshold:
      SPEAKER_MATCH_THRESHOLD.value() === "calibrated"
        ? null
        : numberParam("SPEAKER_MATCH_THRESHOLD", SPEAKER_MATCH_THRESHOLD.value(), -1, 1),
    extractor: oneOf("EXTRACTOR", EXTRACTOR.value(), ["auto", "openai", "local"] as const),
    textEmbedder: oneOf("TEXT_EMBEDDER", TEXT_EMBEDDER.value(), ["auto", "openai", "local"] as const),
    openaiBaseUrl: OPENAI_BASE_URL.value(),
    openaiModel: OPENAI_MODEL.value(),
    openaiTimeoutMs: OPENAI_TIMEOUT_SECONDS.value() * 1000,
    openaiMaxRetries: OPENAI_MAX_RETRIES.value(),
    extractionTokenBudget: EXTRACTION_TOKEN_BUDGET.value(),
    embeddingModel: EMBEDDING_MODEL.value(),
    embeddingDimensions: numberParam("EMBEDDING_DIMENSIONS", String(EMBEDDING_DIMENSIONS.value()), 1, 2048),
    embeddingTokenBudget: EMBEDDING_TOKEN_BUDGET.value(),
    prices: parsePrices(PRICES_USD.value()),
    faultInjection: oneOf("FAULT_INJECTION", FAULT_INJECTION.value(), ["on", "off"] as const) === "on",
    emotionAnalyzer: oneOf("EMOTION_ANALYZER", EMOTION_ANALYZER.value(), ["auto", "hume", "local"] as const),
    humeBaseUrl: HUME_BASE_URL.value(),
    humeTimeoutMs: HUME_TIMEOUT_SECONDS.value() * 1000,
    humeMaxRetries: HUME_MAX_RETRIES.value(),
    humeMaxRequestBytes: HUME_MAX_REQUEST_BYTES.value(),
    emotionMaxSpeechSeconds: EMOTION_MAX_SPEECH_SECONDS.value(),
    emotionNotifyThreshold: numberParam("EMOTION_NOTIFY_THRESHOLD", EMOTION_NOTIFY_THRESHOLD.value(), 0, 1),
    notifier: oneOf("NOTIFIER", NOTIFIER.value(), ["fcm", "local"] as const),
  };
}

/** Custom-metadata key marking objects the pipeline wrote itself, so the finalize trigger ignores them. */
export const DERIVED_OBJECT_TAG = "pipelineDerived";
