/**
 * A local stand-in for Hume's Expression Measurement API (`POST /v1/expression/audio/file`, multipart `file`),
 * answering synchronously with measurements every two seconds of the audio it received, in the shape we read from
 * Hume's docs:
 * `{measurements: [{trigger, audio_start_ms, audio_end_ms, expressions: [{name, probability}]}]}`. Tests script
 * failures and read what was sent.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { parseWavHeader } from "../../src/audio/wav.js";

export const FAKE_HUME_PORT = 9800;

export interface HumeRequest {
  apiKey: string | undefined;
  /** Seconds of audio in the uploaded WAV. */
  seconds: number;
  bytes: number;
}

export type HumeReply = { status: number; body: string; headers?: Record<string, string> };

export class FakeHume {
  readonly requests: HumeRequest[] = [];
  replies: HumeReply[] = [];
  /** The expressions reported for every measurement. */
  expressions = [
    { name: "Joy", probability: 0.82 },
    { name: "Calmness", probability: 0.35 },
    { name: "Anxiety", probability: 0.05 },
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
    if (req.method !== "POST" || req.url !== "/v1/expression/audio/file") {
      res.writeHead(404, { "content-type": "application/json" }).end('{"message":"not found"}');
      return;
    }
    const riff = body.indexOf("RIFF");
    const info = riff >= 0 ? parseWavHeader(body.subarray(riff)) : null;
    const seconds = info ? info.durationS : 0;
    this.requests.push({ apiKey: req.headers["x-hume-api-key"] as string | undefined, seconds, bytes: body.length });
    const scripted = this.replies.shift();
    if (scripted) {
      res.writeHead(scripted.status, { "content-type": "application/json", ...scripted.headers }).end(scripted.body);
      return;
    }
    const measurements = [];
    for (let t = 0; t < seconds; t += 2) {
      measurements.push({
        trigger: "interval",
        audio_start_ms: Math.round(t * 1000),
        audio_end_ms: Math.round(Math.min(seconds, t + 2) * 1000),
        expressions: this.expressions,
        voice_attributes: [],
      });
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ measurements }));
  }
}
