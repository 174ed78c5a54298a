/** Jobs waiting for the emotion stage: a transcript with known user turns over the JFK clip's normalized audio. */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { JobRef } from "../../src/model/job.js";
import { bucket, db } from "../../src/store/firebase.js";
import { derivedMetadata } from "../../src/store/objects.js";
import { normalizedObjectName } from "../../src/store/objectNames.js";
import { memoryPath } from "../../src/store/paths.js";
import { config, createMemory, createUser, type TestUser } from "./emulators.js";
import { seedJobAt } from "./jobs.js";
import { segmentOf } from "./transcripts.js";

const JFK = fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url));

/** The JFK clip's three phrases; `userTurns` says which of them the user spoke. */
export function jfkSegments(
  userTurns: number[],
  texts = ["my fellow americans", "ask not what your country", "what you can do"],
) {
  const spans = [
    [0.3, 3.1],
    [3.3, 7.2],
    [7.6, 10.6],
  ] as const;
  return spans.map(([start, end], i) => ({
    ...segmentOf(texts[i], start, {
      speaker: userTurns.includes(i) ? "SPEAKER_00" : "SPEAKER_01",
      isUser: userTurns.includes(i),
    }),
    end,
  }));
}

/**
 * A completed job (reprocess done) whose emotion stage is pending, for a memory with the given segments, over the real
 * JFK audio as its normalized WAV.
 */
export async function jobAwaitingEmotion(
  segments: ReturnType<typeof jfkSegments>,
  userFields: Record<string, unknown> = {},
): Promise<JobRef & { user: TestUser }> {
  const user = await createUser();
  if (Object.keys(userFields).length > 0) await db().doc(`users/${user.uid}`).update(userFields);
  const memoryId = await createMemory(user.uid, { transcript_segments: segments });
  const seeded = await seedJobAt(user.uid, memoryId, "emotion", {
    status: "completed",
    flags: { emotional_feedback: true },
  });
  const normalized = normalizedObjectName(seeded);
  await bucket(config.postprocessingBucket)
    .file(normalized)
    .save(await readFile(JFK), {
      resumable: false,
      metadata: { contentType: "audio/wav", metadata: derivedMetadata(seeded, "normalized") },
    });
  await db().doc(memoryPath(user.uid, memoryId)).update({ "postprocessing.audio.normalized_object": normalized });
  return { ...seeded, user };
}
