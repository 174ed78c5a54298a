/**
 * Concurrent uploads on the production path (test/support/loadRun.ts): FAL transcribes (a local stand-in of its queue
 * and signed webhook), OpenAI extracts and embeds (a stand-in too). Each upload pays FAL once.
 */
import { describe, expect, it } from "vitest";
import { bucket } from "../../src/store/firebase.js";
import { config, readMemory } from "../support/emulators.js";
import { turnTextsFor } from "../support/fakeFal.js";
import { useFalAndOpenAI } from "../support/falProviders.js";
import { LOAD_UPLOADS, loadTimeoutMs, runConcurrentUploads } from "../support/loadRun.js";

const { fal } = useFalAndOpenAI();

describe("load (FAL and OpenAI stand-ins)", () => {
  const timeoutMs = loadTimeoutMs(6_000);
  it(
    `${LOAD_UPLOADS} concurrent uploads for ${LOAD_UPLOADS} memories all complete, once each, one FAL submit each`,
    { timeout: timeoutMs },
    async () => {
      const { jobIds, memories } = await runConcurrentUploads({
        path: "FAL and OpenAI stand-ins",
        timeoutMs,
        benchFile: "load.json",
      });
      const heard: string[] = [];
      for (const [i, jobId] of jobIds.entries()) {
        const requests = fal.requests.filter((r) => r.webhookUrl?.includes(`jobId=${jobId}`));
        expect(requests, jobId).toHaveLength(1);
        // FAL got this job's own audio, and the memory has the words FAL heard in it: no mix-up between memories.
        const memory = (await readMemory(memories[i].user.uid, memories[i].memoryId))!;
        const [normalized] = await bucket(config.postprocessingBucket)
          .file(memory.postprocessing.audio.normalized_object)
          .download();
        expect(requests[0].audio!.equals(normalized), jobId).toBe(true);
        const texts = memory.transcript_segments.map((s: { text: string }) => s.text);
        expect(texts, jobId).toEqual(turnTextsFor(normalized));
        heard.push(texts.join(" | "));
      }
      expect(new Set(heard).size).toBe(jobIds.length);
    },
  );
});
