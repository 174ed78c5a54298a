/**
 * A local stand-in for the OpenAI API routes we use, answering in OpenAI's documented shapes: chat completions
 * (with a `json_schema` response format) and embeddings. Tests script replies (errors, refusals, malformed output)
 * and read what was requested; the real `openai` SDK in the emulated functions is pointed here by OPENAI_BASE_URL.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export const FAKE_OPENAI_PORT = 9799;

export interface SeenRequest {
  path: string;
  body: Record<string, any>;
  authorization: string | undefined;
}

/** A scripted answer: an HTTP error, or a chat message (content or refusal). */
export type ChatReply =
  | { status: number; error: { message: string; type: string; code?: string | null } }
  | { content: string }
  | { refusal: string };

export const VALID_STRUCTURE = {
  title: "Planning the mobile release",
  overview: "Alice and Sam planned the mobile release and agreed to review the survey numbers on Friday.",
  emoji: "📱",
  category: "work",
  action_items: [{ description: "Send Alice the customer survey numbers", completed: false }],
  events: [
    {
      title: "Release review",
      description: "Go through the survey report",
      start: "2026-11-27T15:00:00Z",
      duration: 45,
      created: false,
    },
  ],
};

export class FakeOpenAI {
  readonly requests: SeenRequest[] = [];
  /** Replies for the next chat completions, in order; afterwards every chat gets VALID_STRUCTURE. */
  chatReplies: ChatReply[] = [];
  /** HTTP errors for the next embeddings requests. */
  embeddingFailures: { status: number; error: { message: string; type: string } }[] = [];
  private server: Server | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve, reject) =>
      this.server!.once("error", reject).listen(FAKE_OPENAI_PORT, "127.0.0.1", resolve),
    );
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  reset(): void {
    this.requests.length = 0;
    this.chatReplies = [];
    this.embeddingFailures = [];
  }

  chats = () => this.requests.filter((r) => r.path === "/v1/chat/completions");
  embeddings = () => this.requests.filter((r) => r.path === "/v1/embeddings");

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString() || "{}") as Record<string, any>;
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    this.requests.push({ path, body, authorization: req.headers.authorization });
    // `retry-after-ms` keeps the SDK's own retries instant in tests.
    const send = (status: number, payload: unknown): void => {
      res
        .writeHead(status, { "content-type": "application/json", "retry-after-ms": "1", "x-request-id": randomUUID() })
        .end(JSON.stringify(payload));
    };

    if (req.method === "POST" && path === "/v1/chat/completions") {
      const reply = this.chatReplies.shift() ?? { content: JSON.stringify(VALID_STRUCTURE) };
      if ("status" in reply) return send(reply.status, { error: reply.error });
      const promptTokens = Math.ceil(JSON.stringify(body.messages ?? []).length / 4);
      return send(200, {
        id: `chatcmpl-${randomUUID()}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            finish_reason: "stop",
            logprobs: null,
            message: {
              role: "assistant",
              content: "content" in reply ? reply.content : null,
              refusal: "refusal" in reply ? reply.refusal : null,
            },
          },
        ],
        usage: { prompt_tokens: promptTokens, completion_tokens: 120, total_tokens: promptTokens + 120 },
      });
    }
    if (req.method === "POST" && path === "/v1/embeddings") {
      const failure = this.embeddingFailures.shift();
      if (failure) return send(failure.status, { error: failure.error });
      const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
      const dimensions = Number(body.dimensions ?? 1536);
      const data = inputs.map((text, index) => ({
        object: "embedding",
        index,
        embedding: pseudoEmbedding(text, dimensions),
      }));
      const tokens = inputs.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
      // Plain float arrays even when base64 was asked for: the SDK accepts both.
      return send(200, {
        object: "list",
        data,
        model: body.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    }
    send(404, { error: { message: `No route ${req.method} ${path}`, type: "invalid_request_error" } });
  }
}

/** A deterministic unit vector for a text. */
export function pseudoEmbedding(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let i = 0; values.length < dimensions; i++) {
    const digest = createHash("sha256").update(`${i}:${text}`).digest();
    for (let j = 0; j + 4 <= digest.length && values.length < dimensions; j += 4)
      values.push(digest.readInt32LE(j) / 2 ** 31);
  }
  const norm = Math.hypot(...values);
  return values.map((v) => v / norm);
}

export const apiError = (status: number, message: string, type = "server_error"): ChatReply => ({
  status,
  error: { message, type },
});
