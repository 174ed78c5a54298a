/** providers/transcriber/create.ts: which transcriber a job gets. */
import { describe, expect, it } from "vitest";
import {
  chooseTranscriber,
  createFalTranscriber,
  falSettings,
  transcriberFactory,
} from "../../../../src/providers/transcriber/create.js";
import { webhookToken } from "../../../../src/stages/transcribe.js";
import { config as unitConfig } from "../../../support/unitConfig.js";

const config = { ...unitConfig, falUserId: "fal-user" };

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
    const factory = transcriberFactory({ ...config, transcriber: "local" }, "id:secret");
    expect((await factory("fal"))?.kind).toBe("fal");
    expect((await factory("local"))?.kind).toBe("local");
  });
  it("builds the configured adapter for a new job", async () => {
    expect((await transcriberFactory({ ...config, transcriber: "fal" }, "k")())?.kind).toBe("fal");
  });
});

describe("FAL half-configured", () => {
  it("refuses to start without FAL_KEY or FAL_USER_ID, naming what is missing", async () => {
    expect(() => falSettings({ ...config, falUserId: "" }, "id:secret")).toThrow(/needs FAL_USER_ID;/);
    expect(() => falSettings(config, "")).toThrow(/needs the FAL_KEY secret;/);
    expect(() => falSettings({ ...config, falUserId: "" }, "")).toThrow(/the FAL_KEY secret and FAL_USER_ID/);
    await expect(createFalTranscriber({ ...config, falUserId: "" }, "k")).rejects.toMatchObject({
      code: "fal_not_configured",
      retryable: false,
    });
    await expect(transcriberFactory({ ...config, transcriber: "fal" }, "")()).rejects.toMatchObject({
      code: "fal_not_configured",
    });
  });
  it("never derives webhook tokens from an empty secret", () => {
    expect(() => webhookToken("", "job-1")).toThrow(/FAL_KEY/);
    expect(webhookToken("s", "job-1")).not.toBe(webhookToken("t", "job-1"));
    expect(webhookToken("s", "job-1")).toMatch(/^[0-9a-f]{48}$/);
  });
});
