/**
 * A local stand-in for FAL's queue API (submit, status, result), its webhook calls (FAL's payload shape and Ed25519
 * signature scheme) and its JWKS, so the real @fal-ai/client and our real webhook function can be tested offline.
 * Built from FAL's docs (docs.fal.ai: model-endpoints/queue, model-endpoints/webhooks, errors; fal.ai/models/fal-ai/
 * whisper/api):
 * - submit answers `{status: "IN_QUEUE", request_id, response_url, status_url, cancel_url, queue_position}`; status is
 *   202 while queued or running and 200 once completed; the result is the model's output;
 * - like FAL, it fetches `audio_url` itself: a URL it cannot download fails the request (a webhook with
 *   `status: "ERROR"`, `error: "Invalid status code: 422"` and FAL's `file_download_error` detail);
 * - the words it hears depend on the audio it downloaded: a two-speaker script drawn from the audio's hash, its
 *   timings spread over the audio's duration (a mix-up of two memories' audio shows in their words);
 * - webhooks are signed as documented (request id, user id, timestamp and the SHA-256 of the body, one per line,
 *   Ed25519) and retried on failure ("10 times in the span of 2 hours"; here within about a minute).
 */
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { parseWavHeader } from "../../src/audio/wav.js";

export const FAKE_FAL_PORT = 9798;

export interface FakeFalRequest {
  id: string;
  endpoint: string;
  input: Record<string, unknown>;
  webhookUrl: string | null;
  authorization: string | undefined;
  status: "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED";
  output: unknown;
  /** The audio FAL downloaded from `audio_url` (null when it could not). */
  audio: Buffer | null;
  /** Set when the request failed (the download did): the webhook's ERROR body. */
  failure: { error: string; payload: unknown } | null;
  webhookResponses: { status: number; body: unknown }[];
}

export type WebhookMode =
  "send" | "send-twice" | "send-without-payload" | "send-unserializable" | "none" | { error: string; detail?: unknown };

/**
 * One Ed25519 key for every FakeFal of a test run, from a fixed seed: a warm function instance keeps FAL's JWKS cached
 * across test files (and refetches at most once a minute), so a key per file made webhooks fail at random.
 */
const FAKE_FAL_KEYS = (() => {
  const seed = createHash("sha256").update("fake-fal-webhook-signing-key").digest();
  const pkcs8Ed25519Prefix = Buffer.from("302e020100300506032b657004220420", "hex");
  const privateKey = createPrivateKey({ key: Buffer.concat([pkcs8Ed25519Prefix, seed]), format: "der", type: "pkcs8" });
  return { privateKey, publicKey: createPublicKey(privateKey) };
})();

export class FakeFal {
  /** The requests submitted since the last reset (what tests look at). */
  readonly requests: FakeFalRequest[] = [];
  /** Every request of the run: FAL keeps a request's status and result after a test has moved on. */
  private readonly known = new Map<string, FakeFalRequest>();
  /** Status codes the next submits answer with before succeeding (e.g. [500]). */
  submitFailures: { status: number; body: unknown }[] = [];
  /** The next this-many submits are accepted (queued, run, webhook sent) but their connection drops unanswered. */
  submitDrops = 0;
  webhookMode: WebhookMode = "send";
  /** The whisper output for a submitted input and the audio downloaded from its `audio_url`. */
  output: (input: Record<string, unknown>, audio: Buffer) => unknown = hearAudio;
  readonly keys: { privateKey: KeyObject; publicKey: KeyObject } = FAKE_FAL_KEYS;
  private server: Server | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve, reject) =>
      this.server!.once("error", reject).listen(FAKE_FAL_PORT, "127.0.0.1", resolve),
    );
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  reset(): void {
    this.requests.length = 0;
    this.submitFailures = [];
    this.submitDrops = 0;
    this.webhookMode = "send";
    this.output = hearAudio;
  }

  /** Headers FAL would send for `rawBody` about `requestId`, signed with `key` (default: the published key). */
  signatureHeaders(
    requestId: string,
    rawBody: string,
    key: KeyObject = this.keys.privateKey,
    timestamp = Math.floor(Date.now() / 1000),
    userId = "fake-user",
  ) {
    const bodyHash = createHash("sha256").update(rawBody).digest("hex");
    const message = Buffer.from([requestId, userId, String(timestamp), bodyHash].join("\n"));
    return {
      "content-type": "application/json",
      "x-fal-webhook-request-id": requestId,
      "x-fal-webhook-user-id": userId,
      "x-fal-webhook-timestamp": String(timestamp),
      "x-fal-webhook-signature": sign(null, message, key).toString("hex"),
    };
  }

  /** Posts a webhook the way FAL does and records our function's answer. */
  async deliverWebhook(
    request: FakeFalRequest,
    body: Record<string, unknown>,
  ): Promise<{ status: number; body: unknown }> {
    const raw = JSON.stringify(body);
    const res = await fetch(request.webhookUrl!, {
      method: "POST",
      headers: this.signatureHeaders(request.id, raw),
      body: raw,
    });
    const answer = { status: res.status, body: await res.json().catch(() => null) };
    request.webhookResponses.push(answer);
    return answer;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${FAKE_FAL_PORT}`);
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (req.method === "GET" && url.pathname === "/.well-known/jwks.json") {
      return send(200, { keys: [{ ...this.keys.publicKey.export({ format: "jwk" }), kid: "fake", use: "sig" }] });
    }
    const requestPath = /^\/([^/]+\/[^/]+)\/requests\/([^/]+)(\/status)?$/.exec(url.pathname);
    if (req.method === "GET" && requestPath) {
      const request = this.known.get(requestPath[2]);
      if (!request) return send(404, { detail: "Request not found" });
      if (requestPath[3])
        return send(request.status === "COMPLETED" ? 200 : 202, {
          status: request.status,
          request_id: request.id,
          logs: [],
        });
      if (request.status !== "COMPLETED") return send(400, { detail: "Request is still in progress" });
      // "If the model returned an error, this operation returns the same error."
      if (request.failure) return send(422, request.failure.payload);
      return send(200, request.output);
    }
    if (req.method === "POST") {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const failure = this.submitFailures.shift();
      if (failure) return send(failure.status, failure.body);
      const input = JSON.parse(Buffer.concat(chunks).toString() || "{}") as Record<string, unknown>;
      if (typeof input.audio_url !== "string")
        return send(422, { detail: [{ loc: ["body", "audio_url"], msg: "field required", type: "missing" }] });
      const request: FakeFalRequest = {
        id: randomUUID(),
        endpoint: url.pathname.slice(1),
        input,
        webhookUrl: url.searchParams.get("fal_webhook"),
        authorization: req.headers.authorization,
        status: "IN_QUEUE",
        output: null,
        audio: null,
        failure: null,
        webhookResponses: [],
      };
      this.requests.push(request);
      this.known.set(request.id, request);
      if (this.submitDrops > 0) {
        // Accepted by the queue, but the answer is lost on the way back (a reset connection).
        this.submitDrops -= 1;
        req.socket.destroy();
        setTimeout(() => void this.run(request), 200);
        return;
      }
      const base = `http://127.0.0.1:${FAKE_FAL_PORT}/${request.endpoint}/requests/${request.id}`;
      send(200, {
        status: "IN_QUEUE",
        request_id: request.id,
        gateway_request_id: request.id,
        queue_position: 0,
        response_url: base,
        status_url: `${base}/status`,
        cancel_url: `${base}/cancel`,
      });
      setTimeout(() => void this.run(request), 200);
      return;
    }
    send(404, { detail: "Not found" });
  }

  /** Runs the request: downloads its audio as FAL would, then transcribes it (or fails to). */
  private async run(request: FakeFalRequest): Promise<void> {
    request.status = "IN_PROGRESS";
    try {
      const res = await fetch(String(request.input.audio_url), { signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      request.audio = Buffer.from(await res.arrayBuffer());
      request.output = this.output(request.input, request.audio);
    } catch {
      request.failure = {
        error: "Invalid status code: 422",
        payload: {
          detail: [
            {
              loc: ["body", "audio_url"],
              msg: "Failed to download the file. Please check if the URL is accessible and try again.",
              type: "file_download_error",
              input: "<audio_url>",
            },
          ],
        },
      };
    }
    await this.finish(request);
  }

  private async finish(request: FakeFalRequest): Promise<void> {
    request.status = "COMPLETED";
    const mode = this.webhookMode;
    if (!request.webhookUrl || mode === "none") return;
    const base = { request_id: request.id, gateway_request_id: request.id };
    let body: Record<string, unknown>;
    if (typeof mode === "object") {
      body = { ...base, status: "ERROR", error: mode.error, payload: mode.detail ?? null };
    } else if (request.failure) {
      body = { ...base, status: "ERROR", error: request.failure.error, payload: request.failure.payload };
    } else if (mode === "send-unserializable") {
      // "If there is an error serializing it, payload is set to null and a payload_error will include details."
      body = { ...base, status: "OK", payload: null, payload_error: "Output is not JSON serializable", error: null };
    } else {
      body = { ...base, status: "OK", payload: mode === "send-without-payload" ? null : request.output, error: null };
    }
    // FAL retries a webhook that failed (no answer, or not 2xx) "10 times in the span of 2 hours" (docs.fal.ai,
    // model-endpoints/webhooks); the stand-in keeps the ten attempts and compresses their schedule to about a minute.
    for (let attempt = 0; attempt < 10; attempt++) {
      const answer = await this.deliverWebhook(request, body).catch(() => ({ status: 0, body: null }));
      if (answer.status >= 200 && answer.status < 300) break;
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** attempt)));
    }
    if (mode === "send-twice") await this.deliverWebhook(request, body);
  }
}

/** A whisper output for a two-speaker script, word-level chunks with speakers, as FAL documents it. */
export function whisperOutputFor(script: { speaker: string; words: string[]; start: number }[]) {
  const chunks: { timestamp: [number, number]; text: string; speaker: string }[] = [];
  const diarization_segments: { timestamp: [number, number]; speaker: string }[] = [];
  for (const turn of script) {
    let t = turn.start;
    for (const word of turn.words) {
      chunks.push({ timestamp: [t, t + 0.35], text: ` ${word}`, speaker: turn.speaker });
      t += 0.4;
    }
    diarization_segments.push({ timestamp: [turn.start, t], speaker: turn.speaker });
  }
  return {
    text: chunks
      .map((c) => c.text)
      .join("")
      .trim(),
    chunks,
    diarization_segments,
    inferred_languages: ["en"],
  };
}

/** The default output: the words the stand-in "hears" in the audio. */
const hearAudio = (_input: Record<string, unknown>, audio: Buffer) => whisperOutputFor(scriptForAudio(audio));

/** The segment texts a transcript of `audio` has, one per speaker turn. */
export const turnTextsFor = (audio: Buffer) => scriptForAudio(audio).map((turn) => turn.words.join(" "));

const VOCABULARY = (
  "so what did you think of the talk honestly it was better than expected we should plan next week " +
  "meeting budget design review release notes friday morning coffee project timeline numbers survey " +
  "customers feedback sketches agree later tomorrow maybe sure great idea send summary everyone call"
).split(" ");

/**
 * What the stand-in hears in `audio`: two speakers, 8 and 7 words drawn from the audio's SHA-256, the second turn
 * starting halfway through; word timings spread over the audio's duration (from its WAV header).
 */
export function scriptForAudio(audio: Buffer): { speaker: string; words: string[]; start: number }[] {
  const digest = createHash("sha256").update(audio).digest();
  const word = (i: number) => VOCABULARY[digest[i % digest.length] % VOCABULARY.length];
  const seconds = parseWavHeader(audio)?.durationS ?? 10;
  return [
    { speaker: "SPEAKER_00", start: Math.min(0.5, seconds / 20), words: Array.from({ length: 8 }, (_, i) => word(i)) },
    { speaker: "SPEAKER_01", start: seconds / 2, words: Array.from({ length: 7 }, (_, i) => word(8 + i)) },
  ];
}
