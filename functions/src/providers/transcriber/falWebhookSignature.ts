/**
 * FAL webhook signatures: Ed25519 over `request_id \n user_id \n timestamp \n sha256hex(raw body)`, hex-encoded in
 * `x-fal-webhook-signature`, checked against the keys FAL publishes as a JWKS (cached; the URL is configurable so
 * tests can serve their own key pair). The raw body must be used: re-serialised JSON does not verify.
 */
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";

export const MAX_CLOCK_SKEW_S = 300;
const JWKS_TTL_MS = 12 * 60 * 60 * 1000;

export interface WebhookHeaders {
  requestId: string;
  userId: string;
  timestamp: string;
  signature: string;
}

export function webhookHeaders(get: (name: string) => string | undefined): WebhookHeaders | null {
  const requestId = get("x-fal-webhook-request-id");
  const userId = get("x-fal-webhook-user-id");
  const timestamp = get("x-fal-webhook-timestamp");
  const signature = get("x-fal-webhook-signature");
  if (!requestId || !userId || !timestamp || !signature || !/^[0-9a-f]{128}$/i.test(signature)) return null;
  return { requestId, userId, timestamp, signature };
}

export function signedMessage(h: Omit<WebhookHeaders, "signature">, rawBody: Buffer): Buffer {
  const bodyHash = createHash("sha256").update(rawBody).digest("hex");
  return Buffer.from([h.requestId, h.userId, h.timestamp, bodyHash].join("\n"), "utf8");
}

export function verifyWebhookSignature(
  h: WebhookHeaders,
  rawBody: Buffer,
  keys: KeyObject[],
  nowS = Date.now() / 1000,
): boolean {
  const ts = Number(h.timestamp);
  if (!Number.isFinite(ts) || Math.abs(nowS - ts) > MAX_CLOCK_SKEW_S) return false;
  const message = signedMessage(h, rawBody);
  const signature = Buffer.from(h.signature, "hex");
  return keys.some((key) => verify(null, message, key, signature));
}

/** The per-job webhook token is stored only as this hash. */
export const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

let cache: { url: string; keys: KeyObject[]; fetchedAt: number } | undefined;
/** A forced re-fetch (after a signature failed) happens at most this often: forgeries must not hammer FAL's JWKS. */
export const JWKS_REFRESH_MIN_INTERVAL_MS = 60_000;

/**
 * The JWKS's Ed25519 keys, cached. `refresh` asks for a re-fetch (after a failure, in case FAL rotated its keys),
 * granted at most once a minute. A failed fetch keeps the last good keys when there are any.
 */
export async function falWebhookKeys(url: string, refresh = false, now = Date.now()): Promise<KeyObject[]> {
  const cached = cache?.url === url ? cache : undefined;
  const fresh = cached && now - cached.fetchedAt < JWKS_TTL_MS;
  const refreshAllowed = !cached || now - cached.fetchedAt >= JWKS_REFRESH_MIN_INTERVAL_MS;
  if (cached && fresh && !(refresh && refreshAllowed)) return cached.keys;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`JWKS fetch failed: ${res.status}`);
    const body = (await res.json()) as { keys?: { kty?: string; crv?: string; x?: string }[] };
    const keys = (body.keys ?? [])
      .filter((k) => k.kty === "OKP" && k.crv === "Ed25519" && typeof k.x === "string")
      .map((k) => createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: k.x! }, format: "jwk" }));
    cache = { url, keys, fetchedAt: now };
    return keys;
  } catch (err) {
    if (cached) return cached.keys;
    throw err;
  }
}

/** Forgets the cached keys (tests). */
export const resetJwksCache = () => (cache = undefined);
