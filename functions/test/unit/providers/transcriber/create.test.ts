/** providers/transcriber/create.ts: which transcriber a job gets. */
import { describe, expect, it } from "vitest";
import { chooseTranscriber, transcriberFactory } from "../../../../src/providers/transcriber/create.js";
import { config } from "../../../support/unitConfig.js";

describe("chooseTranscriber", () => {
  it("uses FAL when forced, or on auto when its key is set", () => {
    expect(chooseTranscriber("fal", "", false)).toBe("fal");
    expect(chooseTranscriber("fal", "", true)).toBe("fal");
    expect(chooseTranscriber("auto", "id:secret", true)).toBe("fal");
  });
  it("falls back to the offline transcriber where it exists, and to none elsewhere", () => {
    expect(chooseTranscriber("auto", "", true)).toBe("local");
    expect(chooseTranscriber("auto", "", false)).toBeNull();
    expect(chooseTranscriber("local", "id:secret", true)).toBe("local");
    expect(chooseTranscriber("local", "id:secret", false)).toBeNull();
  });
});

describe("transcriberFactory", () => {
  it("keeps the adapter a job already started with, whatever the configuration says now", async () => {
    const factory = transcriberFactory({ ...config, transcriber: "local" }, "");
    expect((await factory("fal"))?.kind).toBe("fal");
    expect((await factory("local"))?.kind).toBe("local");
  });
  it("builds the configured adapter for a new job", async () => {
    expect((await transcriberFactory({ ...config, transcriber: "fal" }, "k")())?.kind).toBe("fal");
  });
});
