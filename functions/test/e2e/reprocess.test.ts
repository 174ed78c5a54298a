/**
 * Reprocessing on the offline path, end to end through the emulated triggers: an upload of real speech ends
 * `completed` with a new structure drawn from its transcript and a stored vector; search finds it by a phrase from
 * its transcript; a clean transcript re-run through `reprocess` yields action items; the sweep then takes the
 * completed job's audio and never the kept recording.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { sweepExpiredAudio } from "../../src/scheduled/sweepExpiredAudio.js";
import { db } from "../../src/store/firebase.js";
import { memoryVectorPath } from "../../src/store/vectors.js";
import {
  apiUrl,
  config,
  createMemory,
  createUser,
  objectNames,
  postAudio,
  readMemory,
  waitFor,
  type TestUser,
} from "../support/emulators.js";
import { deliver, seedJobAt } from "../support/jobs.js";
import { planningTranscript, segmentOf } from "../support/transcripts.js";

const JFK = fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url));

const ended = (uid: string, memoryId: string, jobId?: string) =>
  waitFor(
    async () => {
      const memory = await readMemory(uid, memoryId);
      const pp = memory?.postprocessing;
      const done = pp && ["completed", "failed", "canceled"].includes(pp.status) && (!jobId || pp.job_id === jobId);
      return done ? memory : null;
    },
    { what: "the job to end", timeoutMs: 120_000 },
  );

const search = async (user: TestUser, q: string, limit = 10) => {
  const res = await fetch(apiUrl(`/v1/memories/search?${new URLSearchParams({ q, limit: String(limit) })}`), {
    headers: { authorization: `Bearer ${user.idToken}` },
  });
  return { status: res.status, body: await res.json() };
};

/** A memory with a given transcript, reprocessed through the real trigger. */
async function reprocessedMemory(user: TestUser, texts: string[], fields: Record<string, unknown> = {}) {
  const segments = texts.map((t, i) => segmentOf(t, i * 5, { speaker: "SPEAKER_00", isUser: true }));
  const memoryId = await createMemory(user.uid, { transcript_segments: segments, ...fields });
  const job = await seedJobAt(user.uid, memoryId, "reprocess");
  await deliver("reprocess", job);
  return { memoryId, memory: await ended(user.uid, memoryId, job.jobId) };
}

describe("reprocess (offline adapters)", () => {
  it("completes an upload with a structure drawn from its transcript, a vector, and a search hit", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const res = await postAudio({ memoryId, token: user.idToken, file: await readFile(JFK) });
    expect(res.status).toBe(200);
    const jobId = (await res.json()).postprocessing.job_id as string;
    const memory = await ended(user.uid, memoryId, jobId);

    expect(memory.postprocessing).toMatchObject({ status: "completed", phase: "completed", fail_reason: null });
    expect(memory.postprocessing.stages.reprocess).toMatchObject({ state: "done" });
    const transcriptWords = new Set(
      memory.transcript_segments.flatMap((s: { text: string }) => s.text.toLowerCase().split(/\s+/)),
    );
    const title = memory.structured.title as string;
    expect(title).not.toBe("Streaming memory");
    expect(title.length).toBeGreaterThan(2);
    const titleWords = title
      .toLowerCase()
      .split(/\s+/)
      .filter((w) => w !== "and");
    expect(titleWords.every((w) => transcriptWords.has(w))).toBe(true);
    expect(memory.structured.overview).toMatch(/talked about/);
    expect(memory.postprocessing.reprocess).toMatchObject({
      extractor: "local:extractive-v1",
      embedder: "local:hashed-ngrams-v1",
    });

    const vector = await db().doc(memoryVectorPath(user.uid, memoryId)).get();
    expect(vector.get("dimensions")).toBe(config.embeddingDimensions);
    expect(vector.get("model")).toBe("local:hashed-ngrams-v1");

    // The ledger: our wall time per stage (no paid calls offline); the job view shows it.
    const stages = memory.postprocessing.usage.stages;
    for (const stage of ["prepare_audio", "transcribe", "segment", "identify", "reprocess"]) {
      expect(stages[stage].wall_ms).toBeGreaterThan(0);
    }
    const view = await fetch(apiUrl(`/v1/memories/${memoryId}/post-processing/jobs/${jobId}`), {
      headers: { authorization: `Bearer ${user.idToken}` },
    });
    const { job } = await view.json();
    expect(job).toMatchObject({ status: "completed", usage: { estimated_cost_usd: 0, calls: [] } });

    // Two unrelated memories, then a search by a phrase from this one's transcript.
    await reprocessedMemory(user, ["Grandma shared her apple pie recipe with cinnamon and butter."]);
    await reprocessedMemory(user, ["The football match on Sunday ended two to one after extra time."]);
    const longest = memory.transcript_segments
      .map((s: { text: string }) => s.text)
      .sort((a: string, b: string) => b.length - a.length)[0] as string;
    const phrase = longest.split(/\s+/).slice(0, 4).join(" ");
    const found = await search(user, phrase);
    expect(found.status).toBe(200);
    expect(found.body.results.map((r: { id: string }) => r.id)[0]).toBe(memoryId);
    expect(found.body.results).toHaveLength(3);
    expect(found.body.results[0]).toMatchObject({ id: memoryId, title, overview: memory.structured.overview });
    expect(found.body.results[0].distance).toBeLessThan(found.body.results[1].distance);

    // The completed job's processing audio goes once its retention has passed; the kept recording stays.
    const later = new Date(Date.now() + config.retentionMs + 60_000);
    const swept = await sweepExpiredAudio(config, later);
    expect(swept.deleted).toEqual(expect.arrayContaining([`${user.uid}/${memoryId}/${jobId}.wav`]));
    expect(await objectNames(config.postprocessingBucket, `${user.uid}/${memoryId}/`)).toEqual([]);
    expect(await objectNames(config.recordingsBucket, `${user.uid}/${memoryId}/`)).toEqual([
      `${user.uid}/${memoryId}/${jobId}.wav`,
    ]);
  });

  it("finds commitments, requests and meetings in a clean transcript", async () => {
    const user = await createUser();
    const segments = planningTranscript(null);
    const memoryId = await createMemory(user.uid, {
      transcript_segments: segments,
      started_at: new Date("2026-11-25T14:00:00Z"),
    });
    const job = await seedJobAt(user.uid, memoryId, "reprocess");
    await deliver("reprocess", job);
    const memory = await ended(user.uid, memoryId, job.jobId);
    expect(memory.postprocessing.status).toBe("completed");
    const items = memory.structured.action_items.map((a: { description: string }) => a.description);
    expect(items).toContain("Put them in a short report with the most important findings");
    expect(items.some((i: string) => /numbers from the customer survey by Thursday/.test(i))).toBe(true);
    expect(memory.structured.events).toEqual([
      expect.objectContaining({ start: "2026-11-27T15:00:00.000Z", duration: 30, created: false }),
    ]);
  });

  it("leaves discarded memories out of search, and refuses a bad query", async () => {
    const user = await createUser();
    const kept = await reprocessedMemory(user, ["We planned the kayak trip down the river for August."]);
    const gone = await reprocessedMemory(user, ["The kayak trip planning continued with the river map."]);
    await db().doc(`users/${user.uid}/memories/${gone.memoryId}`).update({ discarded: true });
    const found = await search(user, "kayak trip");
    expect(found.body.results.map((r: { id: string }) => r.id)).toEqual([kept.memoryId]);
    expect((await search(user, "")).status).toBe(400);
    const other = await createUser();
    expect((await search(other, "kayak trip")).body.results).toEqual([]);
  });

  it("refuses a search whose embedder differs from every stored vector rather than give wrong neighbours", async () => {
    const user = await createUser();
    const { memoryId } = await reprocessedMemory(user, ["Notes about the garden and the tomatoes."]);
    await db()
      .doc(memoryVectorPath(user.uid, memoryId))
      .update({ embedder: "openai:old-model@3072", model: "openai:old-model" });
    const res = await search(user, "tomatoes");
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("vector_model_mismatch");
  });
});
