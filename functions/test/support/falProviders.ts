/**
 * The provider test files' shared set-up: the FAL and OpenAI stand-ins, started once per file and reset before each
 * test (FAL "hears" a two-speaker script drawn from the audio it downloads); and an upload of the JFK clip through the
 * real endpoint.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import type { JobRef } from "../../src/model/job.js";
import { createMemory, createUser, postAudio } from "./emulators.js";
import { FakeFal } from "./fakeFal.js";
import { FakeOpenAI } from "./fakeOpenAI.js";

const JFK = fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url));

/** A two-speaker WhisperX script, for tests that deliver a webhook of their own. */
export const FAL_SCRIPT = [
  { speaker: "SPEAKER_00", start: 0.5, words: ["so", "what", "did", "you", "think", "of", "the", "talk"] },
  { speaker: "SPEAKER_01", start: 4.2, words: ["honestly", "it", "was", "better", "than", "I", "expected"] },
];

/** Registers the file's hooks and returns the two stand-ins. */
export function useFalAndOpenAI() {
  const fal = new FakeFal();
  const openai = new FakeOpenAI();
  beforeAll(async () => {
    await Promise.all([fal.start(), openai.start()]);
  });
  afterAll(() => Promise.all([fal.stop(), openai.stop()]));
  beforeEach(() => {
    fal.reset();
    openai.reset();
  });
  return { fal, openai };
}

/** Uploads the JFK clip (about 11 s) for a new memory of a new user, with `memoryFields` on the memory. */
export async function uploadJfk(memoryFields: Record<string, unknown> = {}): Promise<JobRef> {
  const user = await createUser();
  const memoryId = await createMemory(user.uid, memoryFields);
  const res = await postAudio({ memoryId, token: user.idToken, file: await readFile(JFK) });
  expect(res.status).toBe(200);
  return { uid: user.uid, memoryId, jobId: (await res.json()).postprocessing.job_id as string };
}
