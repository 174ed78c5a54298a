/**
 * The OpenAI extractor: one chat completion with a strict JSON-schema response format (structured outputs) in the
 * memory's `structured` shape, validated again with the app's constraints. Invalid, cut-off or refused output gets one
 * retry with the problem in the prompt; then it is a permanent `extraction_invalid` / `extraction_refused` failure
 * (the stage keeps the old structure and records a warning). Every answer is billed and recorded, whatever it held.
 * Provider errors are classified by providers/httpFailure.ts.
 */
import { z } from "zod";
import { assertTimeFor, PipelineError } from "../../errors.js";
import { CATEGORIES, structuredSchema, type Structured } from "../../model/structured.js";
import { renderTranscript } from "../../transcript/tokenBudget.js";
import { classifyOpenAIError, openaiClient, openaiRequestBudgetMs, type OpenAISettings } from "../openaiClient.js";
import type { Extraction, ExtractionRequest, Extractor } from "./types.js";

/**
 * What the model is asked for: the app's shape without length limits (strict structured outputs support few string
 * and array constraints); the answer is then checked against `structuredSchema`, which has them.
 */
const responseSchema = z.strictObject({
  title: z.string(),
  overview: z.string(),
  emoji: z.string(),
  category: z.enum(CATEGORIES),
  action_items: z.array(z.strictObject({ description: z.string(), completed: z.boolean() })),
  events: z.array(
    z.strictObject({
      title: z.string(),
      description: z.string(),
      start: z.string(),
      duration: z.number(),
      created: z.boolean(),
    }),
  ),
});

const SYSTEM_PROMPT = [
  "You summarise a recorded conversation for the user's personal memory app.",
  "Return the memory's structure as JSON in the given schema:",
  "- title: a short, specific title (at most 8 words);",
  "- overview: two to four sentences on what was discussed and decided;",
  "- emoji: one emoji for the conversation; category: the best fitting category;",
  "- action_items: concrete tasks for the user that came up (commitments, requests, follow-ups), completed false;",
  "- events: things scheduled at a specific date or time, with start as ISO 8601 including the offset,",
  "  resolved against the conversation's start time, duration in minutes (30 when unknown), created false.",
  "Use only what the transcript says; no action items or events when there are none.",
  "Refer to people by the names in the transcript. Write in the language given.",
].join("\n");

export class OpenAIExtractor implements Extractor {
  readonly modelId: string;

  constructor(private readonly settings: OpenAISettings & { model: string }) {
    this.modelId = `openai:${settings.model}`;
  }

  async extract(request: ExtractionRequest): Promise<Extraction> {
    const client = await openaiClient(this.settings);
    const { zodResponseFormat } = await import("openai/helpers/zod");
    const responseFormat = zodResponseFormat(responseSchema, "memory_structure");
    const messages: { role: "system" | "user" | "assistant"; content: string }[] = [
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: userPrompt(request) },
    ];
    const calls: Extraction["calls"] = [];
    let problem = "";
    for (let attempt = 1; attempt <= 2; attempt++) {
      assertTimeFor(request.deadline, openaiRequestBudgetMs(this.settings), "an OpenAI chat request", calls);
      let completion;
      let requestId: string | null;
      try {
        // `create`, not the SDK's `parse`: every answer is billed, so every answer is read and recorded, including
        // one cut at the length limit or filtered (which `parse` turns into errors without the completion).
        const { data, request_id } = await client.chat.completions
          .create({
            model: this.settings.model,
            messages,
            response_format: { type: responseFormat.type, json_schema: responseFormat.json_schema },
          })
          .withResponse();
        completion = data;
        requestId = request_id;
      } catch (err) {
        throw Object.assign(classifyOpenAIError(err, "chat"), { calls });
      }
      calls.push({
        provider: "openai",
        kind: "chat",
        model: completion.model || this.settings.model,
        request_id: completion.id || requestId,
        input_tokens: completion.usage?.prompt_tokens ?? 0,
        output_tokens: completion.usage?.completion_tokens ?? 0,
        at: new Date().toISOString(),
      });
      const choice = completion.choices[0];
      const message = choice?.message;
      if (message?.refusal) {
        problem = `the model refused: ${message.refusal.slice(0, 300)}`;
        if (attempt === 2) throw new ExtractionFailure("extraction_refused", problem, calls);
      } else if (choice?.finish_reason === "length" || choice?.finish_reason === "content_filter") {
        problem =
          choice.finish_reason === "length"
            ? "the answer was cut off at the length limit"
            : "the answer was stopped by the content filter";
      } else {
        const checked = checkAnswer(message?.content ?? null);
        if (checked.success) return { structured: checked.data, modelId: this.modelId, calls };
        problem = checked.problem;
      }
      messages.push(
        { role: "assistant", content: message?.content ?? "" },
        { role: "user", content: retryPrompt(problem) },
      );
    }
    throw new ExtractionFailure("extraction_invalid", `invalid model output after a retry: ${problem}`, calls);
  }
}

/** The answer's JSON checked against the strict response schema, then the app's constraints. Pure. */
export function checkAnswer(
  content: string | null,
): { success: true; data: Structured } | { success: false; problem: string } {
  if (!content) return { success: false, problem: "the answer was empty" };
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return { success: false, problem: "the answer is not JSON" };
  }
  const shaped = responseSchema.safeParse(json);
  const checked = shaped.success ? structuredSchema.safeParse(normalize(shaped.data)) : shaped;
  if (checked.success) return { success: true, data: checked.data };
  const problem = checked.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".")}: ${i.message}`)
    .join("; ");
  return { success: false, problem: `the answer did not match the schema: ${problem}` };
}

/** A permanent extraction failure that still reports the calls made (they were paid for). */
export class ExtractionFailure extends PipelineError {
  constructor(
    code: string,
    message: string,
    readonly calls: Extraction["calls"],
  ) {
    super(code, message, false);
  }
}

function userPrompt(request: ExtractionRequest): string {
  return [
    `Language: ${request.language ?? "the language of the transcript"}`,
    `Conversation started at: ${request.startedAt.toISOString()}`,
    `The user is: ${request.userName}`,
    "Transcript:",
    renderTranscript(request.lines),
  ].join("\n");
}

const retryPrompt = (problem: string) =>
  `Your previous answer was not usable (${problem}). Answer again with JSON that follows the schema exactly.`;

/** Whitespace the model may add around fields is not an error; an empty title still is. */
function normalize(parsed: unknown): unknown {
  if (!parsed || typeof parsed !== "object") return parsed;
  const p = parsed as Structured;
  return {
    ...p,
    title: p.title?.trim(),
    overview: p.overview?.trim(),
    emoji: p.emoji?.trim(),
    action_items: p.action_items?.map((a) => ({ ...a, description: a.description?.trim() })),
    events: p.events?.map((e) => ({ ...e, duration: Math.round(e.duration) })),
  };
}
