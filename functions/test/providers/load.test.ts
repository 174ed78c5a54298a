/**
 * Concurrent uploads on the production path (test/support/loadRun.ts): FAL transcribes (a local stand-in of its queue
 * and signed webhook), OpenAI extracts and embeds (a stand-in too). Each upload pays FAL once.
 */
import { describe, expect, it } from "vitest";
import { useFalAndOpenAI } from "../support/falProviders.js";
import { LOAD_UPLOADS, loadTimeoutMs, runConcurrentUploads } from "../support/loadRun.js";

const { fal } = useFalAndOpenAI();

describe("load (FAL and OpenAI stand-ins)", () => {
  const timeoutMs = loadTimeoutMs(6_000);
  it(
    `${LOAD_UPLOADS} concurrent uploads for ${LOAD_UPLOADS} memories all complete, once each, one FAL submit each`,
    { timeout: timeoutMs },
    async () => {
      const { jobIds } = await runConcurrentUploads({
        path: "FAL and OpenAI stand-ins",
        timeoutMs,
        benchFile: "load.json",
      });
      for (const jobId of jobIds)
        expect(
          fal.requests.filter((r) => r.webhookUrl?.includes(`jobId=${jobId}`)),
          jobId,
        ).toHaveLength(1);
    },
  );
});
