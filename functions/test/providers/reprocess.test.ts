/**
 * Reprocessing with the real OpenAI adapters (the `openai` SDK in the emulated `reprocess` function, pointed at a
 * local stand-in speaking OpenAI's response shapes): structured outputs, embeddings, retries, refusals, a revoked key,
 * duplicate deliveries, the ledger.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "../../src/store/firebase.js";
import { personPath, userPath } from "../../src/store/paths.js";
import { memoryVectorPath } from "../../src/store/vectors.js";
import { config, createMemory, createUser, readMemory, waitFor } from "../support/emulators.js";
import { apiError, FakeOpenAI, VALID_STRUCTURE } from "../support/fakeOpenAI.js";
import { deliver, seedJobAt } from "../support/jobs.js";
import { logLines, waitForSkips } from "../support/logLines.js";
import { createExtractor } from "../../src/providers/extractor/create.js";
import { createTextEmbedder } from "../../src/providers/textEmbedder/create.js";
import { reprocess } from "../../src/stages/reprocess.js";
import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";
import { countTokens as countCl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { EMBEDDING_MAX_TOKENS } from "../support/fakeOpenAI.js";
import { segmentOf } from "../support/transcripts.js";
import { planningTranscript } from "../support/transcripts.js";

const openai = new FakeOpenAI();
beforeAll(() => openai.start());
afterAll(() => openai.stop());
beforeEach(() => openai.reset());

const OLD_STRUCTURE = {
  title: "Streaming memory",
  overview: "What the live transcript said.",
  emoji: "🧠",
  category: "other",
  action_items: [],
  events: [],
};

/** A user named Sam with a known person Alice, and a memory whose new transcript is saved (reprocess pending). */
async function memoryAwaitingReprocess() {
  const user = await createUser();
  await db().doc(userPath(user.uid)).update({ name: "Sam" });
  const personId = "person-alice";
  await db().doc(personPath(user.uid, personId)).set({ name: "Alice", created_at: new Date().toISOString() });
  const memoryId = await createMemory(user.uid, {
    structured: OLD_STRUCTURE,
    transcript_segments: planningTranscript(personId),
    started_at: new Date("2026-11-25T14:00:00Z"),
  });
  const job = await seedJobAt(user.uid, memoryId, "reprocess");
  return job;
}

const ended = (job: { uid: string; memoryId: string }) =>
  waitFor(
    async () => {
      const memory = await readMemory(job.uid, job.memoryId);
      return ["completed", "failed", "canceled"].includes(memory?.postprocessing?.status) ? memory : null;
    },
    { what: "the job to end", timeoutMs: 150_000 },
  );

describe("reprocess with OpenAI", () => {
  it("extracts the structure with a strict JSON schema, stores the vector, and completes the job", async () => {
    // The model pads its strings and gives a fractional duration: what the adapter makes of that is checked, not the
    // stand-in's own values.
    const [event] = VALID_STRUCTURE.events;
    const answer = JSON.stringify({
      ...VALID_STRUCTURE,
      title: `  ${VALID_STRUCTURE.title}\n`,
      events: [{ ...event, duration: 44.6 }],
    });
    openai.chatReplies = [{ content: answer }];
    const job = await memoryAwaitingReprocess();
    await deliver("reprocess", job);
    const memory = await ended(job);

    expect(memory.postprocessing).toMatchObject({ status: "completed", phase: "completed", warnings: [] });
    expect(memory.postprocessing.completed_at).toEqual(expect.any(String));
    expect(memory.structured.title).toBe("Planning the mobile release");
    expect(memory.structured.events).toEqual([{ ...event, duration: 45 }]);
    expect(memory.structured.action_items).toEqual(VALID_STRUCTURE.action_items);

    const [chat] = openai.chats();
    expect(openai.chats()).toHaveLength(1);
    expect(chat.authorization).toBe("Bearer placeholder-not-a-real-key");
    expect(chat.body.model).toBe("gpt-5-mini");
    expect(chat.body.response_format).toMatchObject({ type: "json_schema", json_schema: { strict: true } });
    const schema = chat.body.response_format.json_schema.schema;
    expect(schema.required).toEqual(["title", "overview", "emoji", "category", "action_items", "events"]);
    expect(schema.properties.category.enum).toContain("entrepreneurship");
    const prompt = chat.body.messages.map((m: { content: string }) => m.content).join("\n");
    expect(prompt).toContain("Sam: That sounds reasonable");
    expect(prompt).toContain("Alice: Can you send me the numbers");
    expect(prompt).toContain("2026-11-25T14:00:00.000Z");
    expect(prompt).toContain("Language: en");

    const [embedding] = openai.embeddings();
    expect(embedding.body).toMatchObject({ model: "text-embedding-3-small", dimensions: 64 });
    expect(embedding.body.input).toContain("Planning the mobile release");
    const vector = await db().doc(memoryVectorPath(job.uid, job.memoryId)).get();
    expect(vector.get("model")).toBe("openai:text-embedding-3-small");
    expect(vector.get("dimensions")).toBe(64);
    expect(vector.get("embedding").toArray()).toHaveLength(64);
    expect(vector.get("text_sha256")).toMatch(/^[0-9a-f]{64}$/);

    const calls: Record<string, unknown>[] = Object.values(memory.postprocessing.usage.calls);
    expect(calls.map((c) => c.kind).sort()).toEqual(["chat", "embedding"]);
    const chatCall = calls.find((c) => c.kind === "chat")!;
    // The usage OpenAI reported for the answer it gave, priced by the configured table.
    const outputTokens = countO200k(answer);
    expect(chatCall).toMatchObject({ provider: "openai", stage: "reprocess", output_tokens: outputTokens });
    expect(chatCall.estimated_cost_usd).toBeCloseTo(
      (chatCall.input_tokens as number) * config.prices.openai_chat_input_token +
        outputTokens * config.prices.openai_chat_output_token,
      10,
    );
    expect(memory.postprocessing.usage.stages.reprocess.wall_ms).toBeGreaterThan(0);
    expect(memory.postprocessing.reprocess).toMatchObject({
      extractor: "openai:gpt-5-mini",
      extracted: true,
      transcript_cut: false,
    });
  });

  it("retries malformed output once, with the problem in the prompt", async () => {
    openai.chatReplies = [{ content: JSON.stringify({ ...VALID_STRUCTURE, title: "", category: "gossip" }) }];
    const job = await memoryAwaitingReprocess();
    await deliver("reprocess", job);
    const memory = await ended(job);
    expect(memory.postprocessing.status).toBe("completed");
    expect(memory.structured.title).toBe(VALID_STRUCTURE.title);
    const chats = openai.chats();
    expect(chats).toHaveLength(2);
    const retryPrompt = chats[1].body.messages.at(-1).content as string;
    expect(retryPrompt).toMatch(/not usable/);
    // Both answers were billed, the unusable one too: both are in the ledger.
    expect(Object.values(memory.postprocessing.usage.calls).filter((c: any) => c.kind === "chat")).toHaveLength(2);
  });

  it("keeps the old structure with a warning when the model refuses twice", async () => {
    openai.chatReplies = [{ refusal: "I can't help with that." }, { refusal: "I can't help with that." }];
    const job = await memoryAwaitingReprocess();
    await deliver("reprocess", job);
    const memory = await ended(job);
    expect(memory.postprocessing.status).toBe("completed");
    expect(memory.structured).toEqual(OLD_STRUCTURE);
    expect(memory.postprocessing.warnings).toEqual([expect.stringMatching(/extraction failed.*extraction_refused/)]);
    // The vector is still made, from the kept structure and the new transcript.
    expect((await db().doc(memoryVectorPath(job.uid, job.memoryId)).get()).exists).toBe(true);
  });

  it("rides out a 500 (the SDK retries with backoff) and completes with one result", async () => {
    openai.chatReplies = [apiError(500, "The server had an error"), apiError(503, "Overloaded")];
    const job = await memoryAwaitingReprocess();
    await deliver("reprocess", job);
    const memory = await ended(job);
    expect(memory.postprocessing.status).toBe("completed");
    expect(memory.structured).toEqual(VALID_STRUCTURE);
    expect(openai.chats()).toHaveLength(3);
  });

  it("completes with a warning and the old structure intact when the key is refused (401)", async () => {
    openai.chatReplies = [apiError(401, "Incorrect API key provided", "invalid_request_error")];
    openai.embeddingFailures = [
      { status: 401, error: { message: "Incorrect API key provided", type: "invalid_request_error" } },
    ];
    const job = await memoryAwaitingReprocess();
    await deliver("reprocess", job);
    const memory = await ended(job);
    expect(memory.postprocessing.status).toBe("completed");
    expect(memory.structured).toEqual(OLD_STRUCTURE);
    expect(memory.postprocessing.warnings).toEqual([
      expect.stringMatching(/extraction failed.*openai_rejected: OpenAI chat returned 401/),
      expect.stringMatching(/embedding failed.*openai_rejected/),
    ]);
    expect(openai.chats()).toHaveLength(1); // a 401 is not retried
    expect((await db().doc(memoryVectorPath(job.uid, job.memoryId)).get()).exists).toBe(false);
  });

  it("makes one model call and one vector write for a message delivered five times", async () => {
    const job = await memoryAwaitingReprocess();
    await Promise.all([1, 2, 3, 4, 5].map(() => deliver("reprocess", job)));
    const memory = await ended(job);
    // Every duplicate has run (each says it skipped) before checking that none paid again.
    await waitForSkips(job.jobId, 0, 4, { stage: "reprocess" });
    expect(memory.postprocessing.status).toBe("completed");
    expect(openai.chats()).toHaveLength(1);
    expect(openai.embeddings()).toHaveLength(1);
    const vector = await db().doc(memoryVectorPath(job.uid, job.memoryId)).get();
    expect(vector.updateTime!.toMillis()).toBe(vector.createTime!.toMillis());
    expect((await readMemory(job.uid, job.memoryId))!.postprocessing.completed_at).toBe(
      memory.postprocessing.completed_at,
    );
  });
  it("gives a long memory its vector: title, overview and transcript cut to the embedder's own tokenizer", async () => {
    // Forty minutes of German: under the old count (o200k, transcript only) it was cut to 8000 tokens that are about
    // 12 000 in cl100k_base, the embedding model's tokenizer, and OpenAI refused them: no vector at all.
    const sentence =
      "Wir haben über die Veröffentlichung der mobilen Anwendung gesprochen und vereinbart, die Umfrageergebnisse " +
      "am Freitag gemeinsam durchzugehen.";
    const segments = Array.from({ length: 480 }, (_, i) =>
      segmentOf(sentence, i * 5, { speaker: `SPEAKER_0${i % 2}`, isUser: i % 2 === 0 }),
    );
    expect(
      countCl100k(
        segments
          .slice(0, 330)
          .map((x) => `User: ${x.text}`)
          .join("\n"),
      ),
    ).toBeGreaterThan(EMBEDDING_MAX_TOKENS);
    const user = await createUser();
    const memoryId = await createMemory(user.uid, { transcript_segments: segments, language: "de" });
    const job = await seedJobAt(user.uid, memoryId, "reprocess");
    await deliver("reprocess", job);
    const memory = await ended(job);
    expect(memory.postprocessing.status).toBe("completed");
    expect(memory.postprocessing.warnings).toEqual([]);
    const [embedding] = openai.billed().filter((r) => r.path === "/v1/embeddings");
    const tokens = countCl100k(embedding.body.input as string);
    expect(tokens).toBeLessThanOrEqual(config.embeddingTokenBudget);
    expect(tokens).toBeGreaterThan(0.95 * config.embeddingTokenBudget);
    expect(
      (embedding.body.input as string).startsWith(`${VALID_STRUCTURE.title}\n\n${VALID_STRUCTURE.overview}\n\n`),
    ).toBe(true);
    expect(memory.postprocessing.reprocess).toMatchObject({ embedded_tokens: tokens, dimensions: 64 });
    expect((await db().doc(memoryVectorPath(job.uid, job.memoryId)).get()).exists).toBe(true);
  });
  it("continues in a new invocation when a request's retry budget no longer fits before the deadline", async () => {
    const job = await memoryAwaitingReprocess();
    const key = "placeholder-not-a-real-key"; // functions/.secret.local
    const deps = {
      config,
      now: () => new Date(),
      eventId: `in-process-${job.jobId}`,
      eventTime: new Date(),
      maxEventAgeMs: 3_600_000,
      // Ten seconds left: an OpenAI request may take minutes with its retries, so none is started.
      deadline: new Date(Date.now() + 10_000),
      extractor: () => createExtractor(config, key),
      textEmbedder: () => createTextEmbedder(config, key),
    };
    await reprocess(job, deps);
    expect(openai.requests).toHaveLength(0);
    const stage = (await readMemory(job.uid, job.memoryId))!.postprocessing.stages.reprocess;
    // Given back without using an attempt, and delivered again (the emulated function then finishes it).
    expect(stage).toMatchObject({ state: expect.stringMatching(/pending|processing|done/) });
    const continued = await logLines((l) => l.event === "stage_continued" && l.jobId === job.jobId);
    expect(continued).toHaveLength(1);
    expect(continued[0].reason).toMatch(/no time left in this invocation for an OpenAI chat request/);
    const memory = await ended(job);
    expect(memory.postprocessing.status).toBe("completed");
    expect(memory.postprocessing.stages.reprocess.attempts).toBe(1);
    expect(openai.chats()).toHaveLength(1);
  });
});
