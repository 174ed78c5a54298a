/** Concurrent uploads on the offline adapters (test/support/loadRun.ts). */
import { describe, it } from "vitest";
import { LOAD_UPLOADS, loadTimeoutMs, runConcurrentUploads } from "../support/loadRun.js";

describe("load (offline adapters)", () => {
  const timeoutMs = loadTimeoutMs(20_000);
  it(
    `${LOAD_UPLOADS} concurrent uploads for ${LOAD_UPLOADS} memories all complete, once each`,
    { timeout: timeoutMs },
    () => runConcurrentUploads({ path: "offline adapters", timeoutMs }),
  );
});
