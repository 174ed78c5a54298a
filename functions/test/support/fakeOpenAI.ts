/**
 * A local stand-in for the OpenAI API routes we use, built from OpenAI's documentation, not from what our adapter
 * expects; the real `openai` SDK in the emulated functions is pointed here by OPENAI_BASE_URL.
 * - Chat completions (API reference "Create chat completion"; guide "Structured Outputs"): a `json_schema` response
 *   format with `strict: true` is checked as OpenAI checks it, and refused with OpenAI's 400 when it breaks a rule:
 *   every object needs `additionalProperties: false` and every property in `required`; the root must be an object;
 *   at most 10 levels of nesting; no keyword the guide lists as unsupported (allOf, not, if/then/else,
 *   dependentRequired, dependentSchemas) nor those it never lists as supported and OpenAI has refused (minLength,
 *   maxLength, default, patternProperties, …). Answers: a message (`content`), a `refusal` (content null), or an
 *   answer cut at the token limit (`finish_reason: "length"`, content truncated), with usage counted in o200k_base.
 * - Embeddings (API reference "Create embeddings"): the `encoding_format` asked for (`base64`: little-endian float32,
 *   which the SDK asks for by default; `float` otherwise), usage counted with the model's tokenizer (cl100k_base for
 *   text-embedding-3-*), and OpenAI's 400 for an input over 8192 tokens ("This model's maximum context length is 8192
 *   tokens, however you requested N tokens …").
 * - Every route wants `Authorization: Bearer <key>` (401 otherwise); errors are `{error: {message, type, param,
 *   code}}`; 429 and 5xx carry `retry-after-ms`, as OpenAI's rate limits do, kept tiny so the SDK's own retries are
 *   instant here.
 * Tests script replies and read what was requested.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { countTokens as countCl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";

export const FAKE_OPENAI_PORT = 9799;
/** "8192 tokens for all embedding models" (API reference, embeddings input). */
export const EMBEDDING_MAX_TOKENS = 8192;

export interface SeenRequest {
  path: string;
  body: Record<string, any>;
  authorization: string | undefined;
  /** What the stand-in answered. */
  status?: number;
}

/** A scripted chat answer: an HTTP error, a message, a refusal, or a message cut at the length limit. */
export type ChatReply =
  | { status: number; error: { message: string; type: string; code?: string | null } }
  | { content: string }
  | { refusal: string }
  | { truncated: string };

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

/** Keywords strict Structured Outputs refuses (the guide's list, and ones OpenAI has refused that it never lists). */
const UNSUPPORTED_KEYWORDS = [
  "allOf",
  "not",
  "if",
  "then",
  "else",
  "dependentRequired",
  "dependentSchemas",
  "minLength",
  "maxLength",
  "default",
  "patternProperties",
  "unevaluatedProperties",
  "propertyNames",
  "minProperties",
  "maxProperties",
  "uniqueItems",
  "contains",
];
const MAX_NESTING = 10;
const REQUIRED_RULE = "'required' is required to be supplied and to be an array including every key in properties.";

/** Why OpenAI would refuse this strict schema, in its words, or null. */
export function strictSchemaProblem(name: string, schema: unknown): string | null {
  const problem = (context: string[], text: string) =>
    `Invalid schema for response_format '${name}': In context=(${context.map((c) => `'${c}'`).join(", ")}), ${text}`;
  if (!schema || typeof schema !== "object" || (schema as { type?: unknown }).type !== "object")
    return `Invalid schema for response_format '${name}': schema must be a JSON Schema of 'type: "object"'.`;
  const visit = (node: unknown, context: string[], depth: number): string | null => {
    if (!node || typeof node !== "object") return null;
    const n = node as Record<string, unknown>;
    if (depth > MAX_NESTING)
      return `Invalid schema for response_format '${name}': ${depth} levels of nesting exceeds limit of 10.`;
    for (const keyword of UNSUPPORTED_KEYWORDS)
      if (keyword in n) return problem(context, `'${keyword}' is not permitted.`);
    if (!("type" in n) && !("anyOf" in n) && !("$ref" in n) && !("enum" in n) && !("const" in n))
      return problem(context, "schema must have a 'type' key.");
    const types = Array.isArray(n.type) ? n.type : [n.type];
    if (types.includes("object")) {
      if (n.additionalProperties !== false)
        return problem(context, "'additionalProperties' is required to be supplied and to be false.");
      const keys = Object.keys((n.properties as object) ?? {});
      const required = Array.isArray(n.required) ? (n.required as string[]) : [];
      const missing = keys.find((k) => !required.includes(k));
      if (missing) return problem(context, `${REQUIRED_RULE} Missing '${missing}'.`);
      const extra = required.find((k) => !keys.includes(k));
      if (extra) return problem(context, `${REQUIRED_RULE} Extra required key '${extra}' supplied.`);
      for (const key of keys) {
        const found = visit((n.properties as Record<string, unknown>)[key], [...context, "properties", key], depth + 1);
        if (found) return found;
      }
    }
    if (types.includes("array") && n.items) {
      const found = visit(n.items, [...context, "items"], depth + 1);
      if (found) return found;
    }
    for (const [key, sub] of Object.entries((n.$defs as Record<string, unknown>) ?? {})) {
      const found = visit(sub, [...context, "$defs", key], depth);
      if (found) return found;
    }
    for (const [i, sub] of ((n.anyOf as unknown[]) ?? []).entries()) {
      const found = visit(sub, [...context, "anyOf", String(i)], depth);
      if (found) return found;
    }
    return null;
  };
  return visit(schema, [], 1);
}

/** OpenAI's error envelope. */
const errorBody = (message: string, type = "invalid_request_error", param: string | null = null) => ({
  error: { message, type, param, code: null },
});

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
  /** Requests OpenAI would have billed (answered 200). */
  billed = () => this.requests.filter((r) => r.status === 200);

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    let body: Record<string, any> = {};
    const seen: SeenRequest = { path, body, authorization: req.headers.authorization };
    this.requests.push(seen);
    const send = (status: number, payload: unknown): void => {
      seen.status = status;
      const retry = status === 429 || status >= 500 ? { "retry-after-ms": "1" } : {};
      res
        .writeHead(status, { "content-type": "application/json", "x-request-id": `req_${randomUUID()}`, ...retry })
        .end(JSON.stringify(payload));
    };
    if (!/^Bearer \S+/.test(req.headers.authorization ?? ""))
      return send(401, errorBody("You didn't provide an API key.", "invalid_request_error"));
    try {
      body = JSON.parse(Buffer.concat(chunks).toString() || "{}") as Record<string, any>;
      seen.body = body;
    } catch {
      return send(400, errorBody("We could not parse the JSON body of your request."));
    }

    if (req.method === "POST" && path === "/v1/chat/completions") return this.chat(body, send);
    if (req.method === "POST" && path === "/v1/embeddings") return this.embed(body, send);
    send(404, errorBody(`Invalid URL (${req.method} ${path})`));
  }

  private chat(body: Record<string, any>, send: (status: number, payload: unknown) => void): void {
    if (typeof body.model !== "string" || !Array.isArray(body.messages) || !body.messages.length)
      return send(400, errorBody("'model' and a non-empty 'messages' array are required.", undefined, "messages"));
    const format = body.response_format as { type?: string; json_schema?: Record<string, any> } | undefined;
    if (format?.type === "json_schema") {
      const spec = format.json_schema ?? {};
      if (typeof spec.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(spec.name))
        return send(400, errorBody("Invalid 'response_format.json_schema.name'.", undefined, "response_format"));
      const problem = spec.strict === true ? strictSchemaProblem(spec.name, spec.schema) : null;
      if (problem) return send(400, errorBody(problem, undefined, "response_format"));
    }
    const reply = this.chatReplies.shift() ?? { content: JSON.stringify(VALID_STRUCTURE) };
    if ("status" in reply) return send(reply.status, { error: { param: null, code: null, ...reply.error } });
    const content = "content" in reply ? reply.content : "truncated" in reply ? reply.truncated : null;
    const promptTokens = (body.messages as { content?: unknown }[]).reduce(
      (n, m) => n + 4 + countO200k(typeof m.content === "string" ? m.content : JSON.stringify(m.content ?? "")),
      3,
    );
    const completionTokens = countO200k(content ?? ("refusal" in reply ? reply.refusal : ""));
    send(200, {
      id: `chatcmpl-${randomUUID()}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          finish_reason: "truncated" in reply ? "length" : "stop",
          logprobs: null,
          message: {
            role: "assistant",
            content,
            refusal: "refusal" in reply ? reply.refusal : null,
            annotations: [],
          },
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    });
  }

  private embed(body: Record<string, any>, send: (status: number, payload: unknown) => void): void {
    const failure = this.embeddingFailures.shift();
    if (failure) return send(failure.status, { error: { param: null, code: null, ...failure.error } });
    const inputs: unknown[] = Array.isArray(body.input) ? body.input : [body.input];
    if (typeof body.model !== "string" || !inputs.length || inputs.some((t) => typeof t !== "string" || t === ""))
      return send(400, errorBody("'$.input' is invalid. Please check the API reference.", undefined, "input"));
    const tokens = (inputs as string[]).map((t) => countCl100k(t));
    const longest = Math.max(...tokens);
    if (longest > EMBEDDING_MAX_TOKENS)
      return send(
        400,
        errorBody(
          `This model's maximum context length is ${EMBEDDING_MAX_TOKENS} tokens, however you requested ${longest} ` +
            `tokens (${longest} in your prompt; 0 for the completion). ` +
            "Please reduce your prompt; or completion length.",
        ),
      );
    const dimensions = Number(body.dimensions ?? 1536);
    const base64 = body.encoding_format === "base64";
    const data = (inputs as string[]).map((text, index) => {
      const vector = pseudoEmbedding(text, dimensions);
      return {
        object: "embedding",
        index,
        embedding: base64 ? Buffer.from(Float32Array.from(vector).buffer).toString("base64") : vector,
      };
    });
    const total = tokens.reduce((a, b) => a + b, 0);
    send(200, { object: "list", data, model: body.model, usage: { prompt_tokens: total, total_tokens: total } });
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
