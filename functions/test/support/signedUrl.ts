/**
 * Checks a Cloud Storage V4 signed URL (GOOG4-RSA-SHA256) against a public key, the way Cloud Storage does, following
 * its documented signing process (cloud.google.com/storage/docs/access-control/signing-urls-manually): the canonical
 * request (method, path, the query without the signature sorted by name, the signed headers, UNSIGNED-PAYLOAD), the
 * string to sign (algorithm, timestamp, credential scope, the canonical request's SHA-256), RSA-SHA256 in hex. The
 * Storage emulator serves signed URLs without checking them; the tests check them here.
 */
import { createHash, createVerify, type KeyObject } from "node:crypto";

export interface V4Parts {
  algorithm: string;
  credential: string;
  date: string;
  expiresSeconds: number;
  signedHeaders: string;
  signature: string;
}

export function v4Parts(url: string): V4Parts {
  const q = new URL(url).searchParams;
  return {
    algorithm: q.get("X-Goog-Algorithm") ?? "",
    credential: q.get("X-Goog-Credential") ?? "",
    date: q.get("X-Goog-Date") ?? "",
    expiresSeconds: Number(q.get("X-Goog-Expires")),
    signedHeaders: q.get("X-Goog-SignedHeaders") ?? "",
    signature: q.get("X-Goog-Signature") ?? "",
  };
}

/** Whether `url`'s signature is `publicKey`'s for a GET of it. */
export function verifyV4SignedUrl(url: string, publicKey: KeyObject, method = "GET"): boolean {
  const parsed = new URL(url);
  const parts = v4Parts(url);
  // The query as signed: every parameter but the signature, still encoded as sent, sorted by name.
  const query = parsed.search
    .slice(1)
    .split("&")
    .filter((p) => !p.startsWith("X-Goog-Signature="))
    .sort((a, b) => (a.split("=")[0] < b.split("=")[0] ? -1 : 1))
    .join("&");
  // The host header as signed: the host name. On storage.googleapis.com that is the whole Host header; against the
  // emulator (a port in the URL) @google-cloud/storage signs the name without the port (signer.js), and so do we.
  const headers = parts.signedHeaders.split(";").map((h) => `${h}:${h === "host" ? parsed.hostname : ""}\n`);
  const canonical = [method, parsed.pathname, query, headers.join(""), parts.signedHeaders, "UNSIGNED-PAYLOAD"].join(
    "\n",
  );
  const scope = decodeURIComponent(parts.credential).split("/").slice(1).join("/");
  const toSign = [parts.algorithm, parts.date, scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  return createVerify("RSA-SHA256").update(toSign).verify(publicKey, Buffer.from(parts.signature, "hex"));
}
