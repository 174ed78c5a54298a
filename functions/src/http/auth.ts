/** Firebase ID token verification for the app's `Authorization: Bearer <token>` header. */
import type { Request } from "express";
import type { Auth } from "firebase-admin/auth";
import { HttpError } from "../errors.js";
import { auth } from "../store/firebase.js";

/** The caller's uid from their ID token; `verifier` is the project's Auth (a test passes one of its own). */
export async function authenticate(req: Request, verifier: Pick<Auth, "verifyIdToken"> = auth()): Promise<string> {
  const match = /^Bearer\s+(\S+)$/i.exec(req.get("authorization") ?? "");
  if (!match) throw new HttpError(401, "unauthenticated", "Missing Authorization: Bearer <Firebase ID token>.");
  try {
    // checkRevoked also refuses tokens of disabled accounts and tokens issued before a revocation.
    const decoded = await verifier.verifyIdToken(match[1], true);
    return decoded.uid;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "auth/user-disabled") throw new HttpError(403, "permission_denied", "This account is disabled.");
    // The token could not be checked (Auth's backend or the network failed): the client should retry, not sign out.
    // firebase-admin reports a failed fetch of Google's key set with the same code as a bad token, told apart by its
    // message only.
    const keysUnavailable = code === "auth/argument-error" && /fetching public keys/i.test((err as Error).message);
    if ((code && AUTH_UNAVAILABLE.has(code)) || keysUnavailable) {
      throw new HttpError(503, "auth_unavailable", "The sign-in could not be checked right now; retry shortly.");
    }
    throw new HttpError(401, "unauthenticated", "The ID token is invalid, expired or revoked.");
  }
}

/** firebase-admin codes that mean the check itself failed, not the token. */
export const AUTH_UNAVAILABLE = new Set([
  "auth/internal-error",
  "app/network-error",
  "app/network-timeout",
  "auth/quota-exceeded",
]);
