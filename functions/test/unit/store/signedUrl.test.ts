/**
 * store/objects.ts signedReadUrl: the V4 signed URL FAL downloads the audio from, made with a locally generated
 * service-account key as deployed functions make it with theirs: its parameters, its lifetime, its signature.
 */
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { Storage } from "@google-cloud/storage";
import { describe, expect, it } from "vitest";
import { signedReadUrl } from "../../../src/store/objects.js";
import { v4Parts, verifyV4SignedUrl } from "../../support/signedUrl.js";

const key = generateKeyPairSync("rsa", { modulusLength: 2048 });
const storage = new Storage({
  projectId: "demo-signing",
  apiEndpoint: "https://storage.googleapis.com",
  credentials: {
    client_email: "functions@demo-signing.iam.gserviceaccount.com",
    private_key: key.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  },
});

describe("signedReadUrl", () => {
  it("signs a V4 URL for the object, valid as long as asked, with the service account's key", async () => {
    const lifetimeMs = 180 * 60_000; // FAL_MAX_WAIT_MINUTES by default
    const url = await signedReadUrl(storage.bucket("pp-bucket").file("uid-1/mem 1/job.16k.wav"), lifetimeMs);
    const parts = v4Parts(url);
    expect(new URL(url).pathname).toBe("/pp-bucket/uid-1/mem%201/job.16k.wav");
    expect(parts).toMatchObject({ algorithm: "GOOG4-RSA-SHA256", signedHeaders: "host", expiresSeconds: 10_800 });
    expect(decodeURIComponent(parts.credential)).toMatch(
      /^functions@demo-signing\.iam\.gserviceaccount\.com\/\d{8}\/auto\/storage\/goog4_request$/,
    );
    expect(parts.signature).toMatch(/^[0-9a-f]{512}$/);
    expect(verifyV4SignedUrl(url, key.publicKey)).toBe(true);
    // Any other key, or a URL changed after signing, does not verify.
    const other = createPublicKey(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
    expect(verifyV4SignedUrl(url, other)).toBe(false);
    expect(verifyV4SignedUrl(url.replace("job.16k.wav", "other.16k.wav"), key.publicKey)).toBe(false);
    expect(verifyV4SignedUrl(url.replace("X-Goog-Expires=10800", "X-Goog-Expires=604800"), key.publicKey)).toBe(false);
  });
});
