/**
 * A local stand-in for Hume's Expression Measurement API, `POST /v1/expression/audio/file`, built from Hume's docs
 * (dev.hume.ai/expression-measurement: "Upload audio" reference, "Audio upload", "Audio measurements", "Scores",
 * "Errors", "Authentication"):
 * - a credential in `X-Hume-Api-Key` or `Authorization: Bearer` (401 `{message, request_id}` otherwise);
 * - `multipart/form-data` with exactly one `file` part and an optional JSON `config` part (`measurement_timer_ms`,
 *   3000–10000, default 3000); the whole multipart body at most 25 MB; the audio 16-bit PCM, 16 kHz, mono, as WAV or
 *   headerless ("the server does not convert audio"). Errors are `{type: "error", code, message, request_id}`.
 *   The docs' table of error codes and statuses could not be read in full: `message_invalid` (400) and
 *   `config_invalid` (400) are documented; the status and code for a body over 25 MB (413 `request_too_large` here)
 *   and for audio in another format (400 `audio_invalid` here) are this stand-in's, and say so in their message;
 * - the answer holds every utterance (a stretch of speech; silence of 0.25 s or more ends one) in `utterances`, each
 *   with its span and its measurements: one every `measurement_timer_ms` of speech (`trigger: "interval"`) and one at
 *   its end (`"speech_ended"`) unless the previous one ended less than a second before; each covers the last 10 s of
 *   the utterance at most, so they overlap; spans in ms from the start of the audio;
 * - `expressions` and `voice_attributes` are `{name, probability}` lists holding only the scores past their cutoff:
 *   names lowercase (spaces and punctuation allowed), probabilities rounded to 4 decimals. The nesting of an
 *   utterance's own fields (span keys, `measurements`) is our reading of the reference: the docs' full example could
 *   not be retrieved.
 * Tests script failures, the expression scores, and read what was sent.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import busboy from "busboy";
import { parseWavHeader } from "../../src/audio/wav.js";

export const FAKE_HUME_PORT = 9800;
/** "Request size: 25MB, the whole multipart body". */
export const HUME_BODY_LIMIT_BYTES = 25_000_000;
/** Scores under this are left out of a list (Hume's cutoffs differ per list; their values are not documented). */
export const CUTOFF = 0.1;
const RATE = 16_000;
const WINDOW_MS = 10_000;

export interface HumeRequest {
  apiKey: string | undefined;
  /** Seconds of audio in the upload. */
  seconds: number;
  /** Bytes of the whole multipart body. */
  bytes: number;
  /** Speech found in it (seconds) and utterances. */
  speechSeconds: number;
  utterances: number;
}

export type HumeReply = { status: number; body: string; headers?: Record<string, string> };

interface Part {
  name: string;
  contentType: string;
  data: Buffer;
}

async function parseMultipart(req: IncomingMessage, body: Buffer): Promise<Part[]> {
  return new Promise((resolve, reject) => {
    const parts: Part[] = [];
    const bb = busboy({ headers: req.headers });
    bb.on("file", (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => parts.push({ name, contentType: info.mimeType, data: Buffer.concat(chunks) }));
    });
    bb.on("field", (name, value, info) => parts.push({ name, contentType: info.mimeType, data: Buffer.from(value) }));
    bb.on("close", () => resolve(parts));
    bb.on("error", reject);
    bb.end(body);
  });
}

/** Stretches of speech: 20 ms frames above an energy floor, joined across silences shorter than 0.25 s. */
function utterancesOf(samples: Int16Array): { startMs: number; endMs: number }[] {
  const frame = RATE / 50;
  const found: { startMs: number; endMs: number }[] = [];
  let current: { startMs: number; endMs: number } | null = null;
  for (let i = 0; i + frame <= samples.length; i += frame) {
    let energy = 0;
    for (let j = i; j < i + frame; j++) energy += (samples[j] / 32768) ** 2;
    const t = (i / RATE) * 1000;
    if (Math.sqrt(energy / frame) > 0.01) {
      if (current && t - current.endMs < 250) current.endMs = t + 20;
      else {
        if (current) found.push(current);
        current = { startMs: t, endMs: t + 20 };
      }
    }
  }
  if (current) found.push(current);
  return found.filter((u) => u.endMs - u.startMs >= 200);
}

export class FakeHume {
  readonly requests: HumeRequest[] = [];
  /** Scripted answers for the next requests, in order; null answers normally. */
  replies: (HumeReply | null)[] = [];
  /** Every measurement's expression scores before the cutoff (the lowest are dropped, as Hume drops them). */
  expressions: { name: string; probability: number }[] = [
    { name: "joy", probability: 0.82114 },
    { name: "calmness", probability: 0.35 },
    { name: "interest", probability: 0.21 },
    { name: "anxiety", probability: 0.05 },
  ];
  private server: Server | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve, reject) =>
      this.server!.once("error", reject).listen(FAKE_HUME_PORT, "127.0.0.1", resolve),
    );
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  reset(): void {
    this.requests.length = 0;
    this.replies = [];
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const requestId = randomUUID().replaceAll("-", "");
    const json = (status: number, payload: unknown, headers: Record<string, string> = {}) =>
      void res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(payload));
    const error = (status: number, code: string, message: string) =>
      json(status, { type: "error", code, message, request_id: requestId });
    if (req.method !== "POST" || req.url !== "/v1/expression/audio/file") return json(404, { message: "Not Found" });
    const apiKey = req.headers["x-hume-api-key"] as string | undefined;
    const bearer = /^Bearer \S+/.test(req.headers.authorization ?? "");
    if (!apiKey && !bearer) return json(401, { message: "Unauthorized" });
    if (apiKey && bearer) return json(401, { message: "Send exactly one credential", request_id: requestId });
    if (body.length > HUME_BODY_LIMIT_BYTES)
      return error(
        413,
        "request_too_large",
        `the multipart body is ${body.length} bytes; the limit is 25MB (stand-in code)`,
      );
    if (!/^multipart\/form-data/.test(req.headers["content-type"] ?? ""))
      return error(400, "message_invalid", "the request must be multipart/form-data");
    let parts: Part[];
    try {
      parts = await parseMultipart(req, body);
    } catch {
      return error(400, "message_invalid", "the multipart body could not be read");
    }
    const files = parts.filter((p) => p.name === "file");
    if (files.length !== 1) return error(400, "message_invalid", `send exactly one file part, got ${files.length}`);
    let timerMs = 3000;
    const config = parts.find((p) => p.name === "config");
    if (config) {
      try {
        const parsed = JSON.parse(config.data.toString()) as Record<string, unknown>;
        const unknown = Object.keys(parsed).find((k) => k !== "measurement_timer_ms");
        if (unknown) return error(400, "config_invalid", `the config part is not valid: unknown field \`${unknown}\``);
        if (parsed.measurement_timer_ms !== undefined) timerMs = Number(parsed.measurement_timer_ms);
        if (!(timerMs >= 3000 && timerMs <= 10000))
          return error(400, "config_invalid", "measurement_timer_ms must be between 3000 and 10000");
      } catch {
        return error(400, "config_invalid", "the config part is not valid JSON");
      }
    }
    const file = files[0].data;
    const info = file.subarray(0, 4).toString("ascii") === "RIFF" ? parseWavHeader(file) : null;
    if (file.subarray(0, 4).toString("ascii") === "RIFF" && !info)
      return error(400, "audio_invalid", "the WAV header could not be read (stand-in code)");
    if (info && (info.sampleRate !== RATE || info.channels !== 1 || info.bitsPerSample !== 16))
      return error(400, "audio_invalid", "the audio must be 16-bit PCM, 16 kHz, mono (stand-in code)");
    const pcm = info ? file.subarray(info.dataOffset, info.dataOffset + info.dataBytes) : file;
    const samples = new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + (pcm.length & ~1)));
    const utterances = utterancesOf(samples);
    this.requests.push({
      apiKey,
      seconds: samples.length / RATE,
      bytes: body.length,
      speechSeconds: utterances.reduce((n, u) => n + (u.endMs - u.startMs) / 1000, 0),
      utterances: utterances.length,
    });
    const scripted = this.replies.shift();
    if (scripted) {
      res.writeHead(scripted.status, { "content-type": "application/json", ...scripted.headers }).end(scripted.body);
      return;
    }
    const scores = () =>
      this.expressions
        .filter((e) => e.probability >= CUTOFF)
        .map((e) => ({ name: e.name, probability: Number(e.probability.toFixed(4)) }));
    const measurement = (trigger: string, startMs: number, endMs: number) => ({
      trigger,
      audio_start_ms: Math.round(Math.max(startMs, endMs - WINDOW_MS)),
      audio_end_ms: Math.round(endMs),
      expressions: scores(),
      voice_attributes: [{ name: "clear", probability: 0.9134 }],
    });
    json(200, {
      run_id: `run_${requestId}`,
      utterances: utterances.map((u) => {
        const measurements = [];
        let last = u.startMs;
        for (let t = u.startMs + timerMs; t <= u.endMs; t += timerMs) {
          measurements.push(measurement("interval", u.startMs, t));
          last = t;
        }
        if (!measurements.length || u.endMs - last >= 1000)
          measurements.push(measurement("speech_ended", u.startMs, u.endMs));
        return { audio_start_ms: Math.round(u.startMs), audio_end_ms: Math.round(u.endMs), measurements };
      }),
    });
  }
}
