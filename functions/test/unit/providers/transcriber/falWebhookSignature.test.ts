/** providers/transcriber/falWebhookSignature.ts: FAL's Ed25519 webhook signature scheme. */
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  MAX_CLOCK_SKEW_S,
  sha256Hex,
  signedMessage,
  verifyWebhookSignature,
  webhookHeaders,
  type WebhookHeaders,
} from "../../../../src/providers/transcriber/falWebhookSignature.js";

const fal = generateKeyPairSync("ed25519");
const other = generateKeyPairSync("ed25519");
const now = 1_800_000_000;
const body = Buffer.from(JSON.stringify({ request_id: "req-1", status: "OK", payload: { text: "hi" } }));

/**
 * Headers as FAL signs them, built here from its documented steps (docs.fal.ai, "Verifying your webhook"), not with the
 * module's own signedMessage: request id, user id, timestamp and the hex SHA-256 of the raw body, each on its own
 * line, signed with Ed25519, the signature in hex.
 */
function signed(rawBody: Buffer, key = fal.privateKey, timestamp = now): WebhookHeaders {
  const h = { requestId: "req-1", userId: "user-1", timestamp: String(timestamp) };
  const bodyHash = createHash("sha256").update(rawBody).digest("hex");
  const message = Buffer.from(`${h.requestId}\n${h.userId}\n${h.timestamp}\n${bodyHash}`, "utf8");
  return { ...h, signature: sign(null, message, key).toString("hex") };
}

/** A FAL webhook body as documented (docs.fal.ai model-endpoints/webhooks): success, error, unserialisable payload. */
const FIXTURES = {
  ok: {
    request_id: "req-1",
    gateway_request_id: "req-1",
    status: "OK",
    payload: { text: "hi", chunks: [{ timestamp: [0, 0.4], text: " hi", speaker: "SPEAKER_00" }] },
    error: null,
  },
  error: {
    request_id: "req-1",
    gateway_request_id: "req-1",
    status: "ERROR",
    error: "Invalid status code: 422",
    payload: { detail: [{ loc: ["body", "audio_url"], msg: "field required", type: "value_error.missing" }] },
  },
  payloadError: {
    request_id: "req-1",
    gateway_request_id: "req-1",
    status: "OK",
    payload: null,
    payload_error: "Output is not JSON serializable",
    error: null,
  },
};

describe("signedMessage", () => {
  it("is request id, user id, timestamp and the body's SHA-256, one per line", () => {
    const h = { requestId: "r", userId: "u", timestamp: "1" };
    expect(signedMessage(h, Buffer.from("{}")).toString()).toBe(
      `r\nu\n1\n${createHash("sha256").update("{}").digest("hex")}`,
    );
  });
});

describe("verifyWebhookSignature", () => {
  it.each(Object.entries(FIXTURES))(
    "accepts FAL's signature over a documented %s body, byte for byte",
    (_, fixture) => {
      // FAL's own serialisation (Python's json.dumps: sorted keys, ", " and ": " separators) is what gets signed.
      const keys = Object.keys(fixture).sort();
      const raw = Buffer.from(
        `{${keys.map((k) => `${JSON.stringify(k)}: ${JSON.stringify(fixture[k as never])}`).join(", ")}}`,
      );
      expect(verifyWebhookSignature(signed(raw), raw, [fal.publicKey], now)).toBe(true);
      expect(verifyWebhookSignature(signed(raw), Buffer.from(JSON.stringify(fixture)), [fal.publicKey], now)).toBe(
        false,
      );
    },
  );
  it("accepts FAL's signature over the raw body", () => {
    expect(verifyWebhookSignature(signed(body), body, [fal.publicKey], now)).toBe(true);
    expect(verifyWebhookSignature(signed(body), body, [other.publicKey, fal.publicKey], now)).toBe(true);
  });
  it("refuses another key, a changed body, re-serialised JSON and swapped headers", () => {
    expect(verifyWebhookSignature(signed(body, other.privateKey), body, [fal.publicKey], now)).toBe(false);
    expect(
      verifyWebhookSignature(signed(body), Buffer.from(body.toString().replace("hi", "ho")), [fal.publicKey], now),
    ).toBe(false);
    const pretty = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2));
    expect(verifyWebhookSignature(signed(body), pretty, [fal.publicKey], now)).toBe(false);
    expect(verifyWebhookSignature({ ...signed(body), requestId: "req-2" }, body, [fal.publicKey], now)).toBe(false);
  });
  it("refuses timestamps more than five minutes away, either way", () => {
    expect(
      verifyWebhookSignature(signed(body, fal.privateKey, now - MAX_CLOCK_SKEW_S), body, [fal.publicKey], now),
    ).toBe(true);
    expect(
      verifyWebhookSignature(signed(body, fal.privateKey, now - MAX_CLOCK_SKEW_S - 1), body, [fal.publicKey], now),
    ).toBe(false);
    expect(
      verifyWebhookSignature(signed(body, fal.privateKey, now + MAX_CLOCK_SKEW_S + 1), body, [fal.publicKey], now),
    ).toBe(false);
    expect(verifyWebhookSignature({ ...signed(body), timestamp: "soon" }, body, [fal.publicKey], now)).toBe(false);
  });
  it("refuses everything without keys", () => {
    expect(verifyWebhookSignature(signed(body), body, [], now)).toBe(false);
  });
});

describe("webhookHeaders", () => {
  const headers: Record<string, string> = {
    "x-fal-webhook-request-id": "r",
    "x-fal-webhook-user-id": "u",
    "x-fal-webhook-timestamp": "1",
    "x-fal-webhook-signature": "ab".repeat(64),
  };
  it("reads the four headers", () => {
    expect(webhookHeaders((n) => headers[n])).toEqual({
      requestId: "r",
      userId: "u",
      timestamp: "1",
      signature: "ab".repeat(64),
    });
  });
  it("refuses missing headers and signatures that are not 64 hex bytes", () => {
    expect(webhookHeaders((n) => (n === "x-fal-webhook-user-id" ? undefined : headers[n]))).toBeNull();
    expect(webhookHeaders((n) => (n === "x-fal-webhook-signature" ? "zz".repeat(64) : headers[n]))).toBeNull();
    expect(webhookHeaders((n) => (n === "x-fal-webhook-signature" ? "ab".repeat(32) : headers[n]))).toBeNull();
  });
});

describe("sha256Hex", () => {
  it("is the hex SHA-256 the job stores instead of the webhook token", () => {
    expect(sha256Hex("token")).toBe(createHash("sha256").update("token").digest("hex"));
    expect(sha256Hex("token")).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("falWebhookKeys", () => {
  it("re-fetches after a failed verification at most once a minute, and keeps the last good keys", async () => {
    const { createServer } = await import("node:http");
    const { falWebhookKeys, resetJwksCache, JWKS_REFRESH_MIN_INTERVAL_MS } =
      await import("../../../../src/providers/transcriber/falWebhookSignature.js");
    let fetches = 0;
    let up = true;
    const server = createServer((_req, res) => {
      fetches += 1;
      if (!up) return void res.writeHead(503).end();
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ keys: [fal.publicKey.export({ format: "jwk" })] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
    try {
      resetJwksCache();
      const t0 = 1_000_000;
      expect(await falWebhookKeys(url, false, t0)).toHaveLength(1);
      await falWebhookKeys(url, true, t0 + 1000); // a forged signature: no re-fetch yet
      await falWebhookKeys(url, true, t0 + 2000);
      expect(fetches).toBe(1);
      up = false;
      const kept = await falWebhookKeys(url, true, t0 + JWKS_REFRESH_MIN_INTERVAL_MS + 1);
      expect(fetches).toBe(2);
      expect(kept).toHaveLength(1); // FAL's JWKS is down: the last good keys still verify
    } finally {
      server.close();
      resetJwksCache();
    }
  });
});
