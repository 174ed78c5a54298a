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
import { waitForSkips } from "../support/logLines.js";
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
    const job = await memoryAwaitingReprocess();
    await deliver("reprocess", job);
    const memory = await ended(job);

    expect(memory.postprocessing).toMatchObject({ status: "completed", phase: "completed", warnings: [] });
    expect(memory.postprocessing.completed_at).toEqual(expect.any(String));
    expect(memory.structured).toEqual(VALID_STRUCTURE);

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
    expect(chatCall).toMatchObject({ provider: "openai", stage: "reprocess", output_tokens: 120 });
    expect(chatCall.estimated_cost_usd).toBeCloseTo(
      (chatCall.input_tokens as number) * config.prices.openai_chat_input_token +
        120 * config.prices.openai_chat_output_token,
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
    expect(Object.values(memory.postprocessing.usage.calls).filter((c: any) => c.kind === "chat")).toHaveLength(1);
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
});
