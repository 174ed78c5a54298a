/**
 * `npm run bench` (long recordings): what each deployed function needs at the worst case the caps allow, a recording
 * of MAX_AUDIO_SECONDS (4 h by default) in an upload of up to MAX_RESUMABLE_UPLOAD_BYTES. Each function's real work
 * runs here on such a recording, and the process's memory growth is measured (with ffmpeg's own, for prepare_audio);
 * the worst case is that plus the function's cold-start memory (bench-results/cold-start.json), times its
 * concurrency, plus what it keeps in the temp directory (memory on Cloud Functions). Writes
 * bench-results/long-recording.json, which test/unit/pipeline/runtime.test.ts holds every function's memory to.
 * Figures only: nothing here asserts on time.
 */
import { execFileSync } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { it } from "vitest";
import { normalizeToWav16kMono } from "../src/audio/normalize.js";
import { RUNTIME, type FunctionName } from "../src/pipeline/runtime.js";
import { buildRequest, planUserAudio } from "../src/providers/emotion/userAudio.js";
import { HUME_MAX_REQUEST_BYTES, MULTIPART_OVERHEAD_BYTES } from "../src/providers/emotion/humeClient.js";
import { BaselineSpeakerEmbedder } from "../src/providers/speakerEmbedder/baseline.js";
import { falOutputToTranscript } from "../src/providers/transcriber/fal.js";
import { embedSpeakers } from "../src/stages/identify.js";
import { MAX_SPEECH_PER_SPEAKER_S } from "../src/speaker/speakerSamples.js";
import type { TranscriptSegment } from "../src/model/transcript.js";
import { cleanWords } from "../src/transcript/cleanWords.js";
import { groupWordsIntoSegments } from "../src/transcript/groupSegments.js";
import { namedLines } from "../src/transcript/namedLines.js";
import { cutToTokenBudget, embeddingText } from "../src/transcript/tokenBudget.js";
import { writeBenchFigure } from "../test/support/benchFigures.js";
import { deployedDefaults } from "../test/support/deployedDefaults.js";

const config = deployedDefaults();
const SECONDS = config.maxAudioSeconds;
const RATE = 16_000;
const TURN_S = 5;
/** Dense talk: three words a second, all recording long. */
const WORDS_PER_SECOND = 3;
/** The largest body the api holds per upload: the platform's 32 MiB limit. */
const API_BODY_MIB = 32;
const MiB = 2 ** 20;

/** A WAV stream of the whole recording: two alternating "voices" (harmonic tones, syllable-rate envelope). */
function longWav(): Readable {
  const total = SECONDS * RATE;
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + total * 2, 4);
  header.write("WAVEfmt ", 8, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(total * 2, 40);
  let at = 0;
  return Readable.from(
    (function* () {
      yield header;
      while (at < total) {
        const n = Math.min(RATE, total - at);
        const buf = Buffer.alloc(n * 2);
        for (let i = 0; i < n; i++) {
          const t = (at + i) / RATE;
          const f0 = Math.floor(t / TURN_S) % 2 ? 210 : 105;
          const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
          const v = 0.3 * env * (Math.sin(2 * Math.PI * f0 * t) + 0.5 * Math.sin(4 * Math.PI * f0 * t));
          buf.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v)) * 32767), 2 * i);
        }
        at += n;
        yield buf;
      }
    })(),
  );
}

/** Two speakers in 5 s turns over the whole recording. */
function turns(): TranscriptSegment[] {
  const segments: TranscriptSegment[] = [];
  for (let t = 0, i = 0; t < SECONDS; t += TURN_S, i++) {
    segments.push({
      text: "and so we talked about the plan for the week and what comes next",
      speaker: `SPEAKER_0${i % 2}`,
      speaker_id: i % 2,
      is_user: i % 2 === 0,
      person_id: null,
      start: t,
      end: t + TURN_S - 0.2,
    });
  }
  return segments;
}

/** FAL's whisper output for the whole recording, word by word (what falWebhook and the re-drive receive). */
function whisperOutput() {
  const chunks = [];
  for (let i = 0; i < SECONDS * WORDS_PER_SECOND; i++) {
    const t = i / WORDS_PER_SECOND;
    chunks.push({
      timestamp: [t, t + 0.3],
      text: ` word${i % 997}`,
      speaker: `SPEAKER_0${Math.floor(t / TURN_S) % 2}`,
    });
  }
  return { text: "", chunks, diarization_segments: [], inferred_languages: ["en"] };
}

/** Runs `work`, sampling this process's resident memory (and, when asked, ffmpeg's); returns peak growth in MiB. */
async function measure(work: () => Promise<unknown>, opts: { ffmpeg?: boolean } = {}) {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let ffmpegPeak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    if (opts.ffmpeg) {
      try {
        const out = execFileSync("ps", ["-C", "ffmpeg", "-o", "rss="], { encoding: "utf8" });
        ffmpegPeak = Math.max(ffmpegPeak, ...out.split("\n").filter(Boolean).map(Number));
      } catch {
        // no ffmpeg running right now
      }
    }
  }, 25);
  const started = performance.now();
  await work();
  const wallMs = Math.round(performance.now() - started);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { growthMiB: Math.round((peak - baseline) / MiB), ffmpegMiB: Math.round(ffmpegPeak / 1024), wallMs };
}

it("every function's worst case at the caps", { timeout: 1_800_000 }, async () => {
  const coldStart = JSON.parse(
    readFileSync(new URL("../../bench-results/cold-start.json", import.meta.url), "utf8"),
  ) as { functions: Record<string, { rssMiB: number }>; baselines: { plain: { rssMiB: number } } };
  const startMiB = (name: FunctionName) =>
    Math.round(coldStart.functions[name]?.rssMiB ?? coldStart.baselines.plain.rssMiB);
  const segments = turns();
  const work: Record<string, { growthMiB: number; ffmpegMiB?: number; wallMs: number; what: string }> = {};

  // identify: each speaker's chosen audio, streamed out of the recording once.
  let speakers = 0;
  work.identify = {
    what: `embed ${MAX_SPEECH_PER_SPEAKER_S} s of each of 2 speakers out of the streamed recording`,
    ...(await measure(async () => {
      speakers = (await embedSpeakers(segments, longWav(), new BaselineSpeakerEmbedder())).size;
    })),
  };

  // emotion: the largest request, built out of the stream and framed as its multipart body.
  const plan = planUserAudio(
    segments.filter((s) => s.is_user),
    { maxBytes: HUME_MAX_REQUEST_BYTES - MULTIPART_OVERHEAD_BYTES, maxSeconds: config.emotionMaxSpeechSeconds },
  );
  work.emotion = {
    what: `build the largest of ${plan.length} Hume requests and its multipart body`,
    ...(await measure(async () => {
      const request = await buildRequest(longWav(), plan[0]);
      const form = new FormData();
      form.append("file", new Blob([new Uint8Array(request.wav)], { type: "audio/wav" }), "speech.wav");
      await new Request("http://127.0.0.1/", { method: "POST", body: form }).arrayBuffer();
    })),
  };

  // prepare_audio: decode the whole recording to 16 kHz WAV (a WAV input: ffmpeg streams whatever the codec).
  const dir = await mkdtemp(join(tmpdir(), "long-recording-"));
  let normalizedBytes = 0;
  try {
    const input = join(dir, "input.wav");
    await pipeline(longWav(), createWriteStream(input));
    work.prepareAudio = {
      what: "decode the whole recording with ffmpeg (its own memory counted apart)",
      ...(await measure(
        async () => {
          await normalizeToWav16kMono(input, join(dir, "out.wav"), { format: "wav", maxSeconds: SECONDS });
          normalizedBytes = (await stat(join(dir, "out.wav"))).size;
        },
        { ffmpeg: true },
      )),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  // falWebhook and the re-drive: FAL's result for the whole recording, parsed and turned into words.
  const raw = JSON.stringify({ request_id: "r", status: "OK", payload: whisperOutput(), error: null });
  let words = falOutputToTranscript(JSON.parse(raw).payload, "fal-ai/whisper").words;
  work.falWebhook = {
    what: `parse FAL's result (${Math.round(raw.length / MiB)} MiB, ${words.length} words) into words`,
    ...(await measure(async () => {
      words = falOutputToTranscript((JSON.parse(raw) as { payload: unknown }).payload, "fal-ai/whisper").words;
    })),
  };

  // segment: the words cleaned and grouped.
  let grouped: TranscriptSegment[] = [];
  work.segment = {
    what: `clean and group ${words.length} words into segments`,
    ...(await measure(async () => {
      grouped = groupWordsIntoSegments(cleanWords(words), { maxGapS: 1.5, maxSegmentS: 30 });
    })),
  };

  // reprocess: the transcript rendered with names and cut to both token budgets.
  work.reprocess = {
    what: `render ${grouped.length} segments and cut them to the extraction and embedding budgets`,
    ...(await measure(async () => {
      const lines = namedLines(grouped, { user: "User", people: new Map() });
      await cutToTokenBudget(lines, config.extractionTokenBudget);
      await embeddingText(["A title", "An overview."], lines, config.embeddingTokenBudget, "cl100k_base");
    })),
  };

  const tmpfsMiB = {
    prepareAudio: Math.round(config.maxResumableUploadBytes / MiB + normalizedBytes / MiB),
  };
  const perInvocation: Record<FunctionName, number> = {
    api: startMiB("api") + 3 * API_BODY_MIB, // raw body, its parts, the probe's temp file
    prepareAudio:
      startMiB("prepareAudio") + work.prepareAudio.growthMiB + work.prepareAudio.ffmpegMiB! + tmpfsMiB.prepareAudio,
    prepareAudioRedrive:
      startMiB("prepareAudioRedrive") +
      work.prepareAudio.growthMiB +
      work.prepareAudio.ffmpegMiB! +
      tmpfsMiB.prepareAudio,
    // A FAL submit sends a URL: no audio is held.
    transcribe: startMiB("transcribe"),
    falWebhook: startMiB("falWebhook") + work.falWebhook.growthMiB,
    segment: startMiB("segment") + work.segment.growthMiB,
    identify: startMiB("identify") + work.identify.growthMiB,
    reprocess: startMiB("reprocess") + work.reprocess.growthMiB,
    emotion: startMiB("emotion") + work.emotion.growthMiB,
    recoverStalledJobs: startMiB("recoverStalledJobs") + work.falWebhook.growthMiB,
    sweepExpiredAudio: startMiB("sweepExpiredAudio"),
    // Listings and documents a page at a time: no audio is held.
    auditBuckets: startMiB("auditBuckets"),
    memoryDeleted: startMiB("memoryDeleted"),
    userDeleted: startMiB("userDeleted"),
  };
  // Concurrent invocations share the instance: the runtime once, the work per invocation.
  const worstCaseMiB = Object.fromEntries(
    (Object.keys(RUNTIME) as FunctionName[]).map((name) => {
      const concurrency = RUNTIME[name].options.concurrency;
      const start = startMiB(name);
      return [name, start + (perInvocation[name] - start) * concurrency];
    }),
  );
  await writeBenchFigure(
    "long-recording.json",
    {
      what:
        "each deployed function's memory at the worst case the caps allow: measured work on a recording of " +
        "MAX_AUDIO_SECONDS, plus cold-start memory, times concurrency, plus the temp directory",
      caps: { maxAudioSeconds: config.maxAudioSeconds, maxResumableUploadBytes: config.maxResumableUploadBytes },
      recordingSeconds: SECONDS,
      speakersEmbedded: speakers,
      humeRequestsPlanned: plan.length,
      work,
      tmpfsMiB,
      worstCaseMiB,
      memoryMiB: Object.fromEntries(
        (Object.keys(RUNTIME) as FunctionName[]).map((name) => [name, RUNTIME[name].options.memory]),
      ),
      wholeRecordingAsFloat32MiB: Math.round((SECONDS * RATE * 4) / MiB),
      wholeRecordingAsWavMiB: Math.round((SECONDS * RATE * 2) / MiB),
      coldStartFile: existsSync(new URL("../../bench-results/cold-start.json", import.meta.url)),
    },
    true,
  );
});
