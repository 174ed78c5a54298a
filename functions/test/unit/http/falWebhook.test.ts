/** http/falWebhook.ts before any I/O: a webhook is refused when nothing could tie it to our FAL account. */
import type { Request, Response } from "express";
import { describe, expect, it } from "vitest";
import { falWebhook } from "../../../src/http/falWebhook.js";
import { handOffRerun } from "../../../src/http/rerunStage.js";
import { config } from "../../support/unitConfig.js";

function fakeExchange(headers: Record<string, string>) {
  const answer: { status?: number; body?: unknown } = {};
  const req = {
    get: (name: string) => headers[name.toLowerCase()],
    rawBody: Buffer.from('{"request_id":"r","status":"OK","payload":{}}'),
    query: {},
  } as unknown as Request;
  const res = {
    status(code: number) {
      answer.status = code;
      return this;
    },
    json(body: unknown) {
      answer.body = body;
      return this;
    },
  } as unknown as Response;
  return { req, res, answer };
}

describe("falWebhook without FAL_USER_ID", () => {
  it("refuses every webhook (FAL signs all customers' webhooks with the same keys)", async () => {
    const { req, res, answer } = fakeExchange({
      "x-fal-webhook-request-id": "r",
      "x-fal-webhook-user-id": "anyone",
      "x-fal-webhook-timestamp": String(Math.floor(Date.now() / 1000)),
      "x-fal-webhook-signature": "ab".repeat(64),
    });
    await falWebhook(req, res, {
      config: { ...config, falUserId: "" },
      transcriber: () => Promise.reject(new Error("not reached")),
    });
    expect(answer).toEqual({
      status: 503,
      body: { error: { code: "fal_not_configured", message: expect.stringMatching(/FAL_USER_ID/) } },
    });
  });
});

describe("handOffRerun", () => {
  it("never throws once the re-run exists: a failed publish is left to the re-drive", async () => {
    const job = { uid: "u", memoryId: "m", jobId: "j" };
    const sent: string[] = [];
    expect(
      await handOffRerun(job, "reprocess", async (from, next) => void sent.push(`${from}->${next.join(",")}`)),
    ).toBe(true);
    expect(sent).toEqual(["identify->reprocess"]);
    expect(
      await handOffRerun(job, "identify", async () => {
        throw new Error("Pub/Sub unavailable");
      }),
    ).toBe(false);
  });
});
