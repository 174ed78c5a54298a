import { onDocumentDeleted } from "firebase-functions/v2/firestore";
import { loadConfig, REGION } from "../config.js";
import { runtimeOptions } from "../pipeline/runtime.js";

/**
 * When the app deletes a memory's document: erase its audio in both buckets, its vector and its transcript versions
 * (store/erasure.ts). A memory flagged `deleted: true` instead is erased by the re-drive within minutes
 * (scheduled/finishErasures.ts): a trigger on every memory write would run on each of a job's progress updates.
 */
export const memoryDeleted = onDocumentDeleted(
  { document: "users/{uid}/memories/{memoryId}", region: REGION, ...runtimeOptions("memoryDeleted"), retry: true },
  async (event) => {
    const { eraseDeletedMemory } = await import("../store/erasure.js");
    await eraseDeletedMemory(loadConfig(), event.params.uid, event.params.memoryId, {
      eventId: event.id,
      how: "document_deleted",
    });
  },
);
