/**
 * http/auth.ts with firebase-admin's production verifier (the Auth emulator accepts unsigned tokens, so this cannot be
 * shown there): Google's endpoints are answered by a local TLS server (its certificate made here), the token signed
 * by a key made here and published, as Google publishes Firebase's, as an X.509 certificate under its `kid`.
 */
import { execFileSync } from "node:child_process";
import { createPrivateKey, randomUUID, sign } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { Agent, createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import type { Request } from "express";
import { deleteApp, initializeApp, type App } from "firebase-admin/app";
import { getAuth } from "firebase-admin/auth";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { authenticate } from "../../../src/http/auth.js";

const PROJECT = "demo-verify";
const KID = "test-key-1";

/** A private key and a self-signed certificate for it, made with openssl. */
function keyAndCert(cn: string) {
  const dir = mkdtempSync(join(tmpdir(), "auth-test-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
}

const tls = keyAndCert("localhost");
const firebaseKey = keyAndCert("securetoken");
const forgerKey = keyAndCert("someone");

/** What Google's endpoints answer in a test: the published certificates, and the user's account. */
const google = {
  certsStatus: 200,
  lookupStatus: 200,
  user: { disabled: false, validSince: "0" },
};

let server: Server;
let app: App;
let saved: string | undefined;

beforeAll(async () => {
  // The production path: no emulator.
  saved = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
  server = createServer({ key: tls.key, cert: tls.cert }, (req, res): void => {
    const json = (status: number, body: unknown): void =>
      void res
        .writeHead(status, { "content-type": "application/json", "cache-control": "max-age=3600" })
        .end(JSON.stringify(body));
    if (req.url?.includes("/metadata/x509/securetoken@system.gserviceaccount.com")) {
      return google.certsStatus === 200 ? json(200, { [KID]: firebaseKey.cert }) : json(google.certsStatus, {});
    }
    if (req.url?.includes("/accounts:lookup")) {
      if (google.lookupStatus !== 200)
        return json(google.lookupStatus, { error: { code: google.lookupStatus, message: "BACKEND_ERROR" } });
      return json(200, { users: [{ localId: "user-1", email: "u@example.com", ...google.user }] });
    }
    json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  // Every HTTPS connection the Admin SDK opens goes to the local server, whatever host it asked for.
  const agent = new Agent({ rejectUnauthorized: false });
  agent.createConnection = (options, callback) =>
    connect(
      {
        host: "127.0.0.1",
        port,
        servername: (options as { servername?: string }).servername,
        rejectUnauthorized: false,
      },
      callback as () => void,
    );
  app = initializeApp(
    {
      projectId: PROJECT,
      httpAgent: agent,
      credential: { getAccessToken: async () => ({ access_token: "test-token", expires_in: 3600 }) },
    },
    `verifier-${randomUUID()}`,
  );
});

afterAll(async () => {
  if (saved !== undefined) process.env.FIREBASE_AUTH_EMULATOR_HOST = saved;
  await deleteApp(app);
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  google.certsStatus = 200;
  google.lookupStatus = 200;
  google.user = { disabled: false, validSince: "0" };
});

/** An ID token as Firebase Auth issues it (RS256, its claims), signed with `key`. */
function idToken(key: string, claims: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: "RS256", kid: KID, typ: "JWT" };
  const payload = {
    iss: `https://securetoken.google.com/${PROJECT}`,
    aud: PROJECT,
    auth_time: now - 60,
    user_id: "user-1",
    sub: "user-1",
    iat: now - 60,
    exp: now + 3600,
    firebase: { identities: {}, sign_in_provider: "custom" },
    ...claims,
  };
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${part(header)}.${part(payload)}`;
  return `${input}.${sign("RSA-SHA256", Buffer.from(input), createPrivateKey(key)).toString("base64url")}`;
}

const request = (token: string) => ({ get: () => `Bearer ${token}` }) as unknown as Request;
const check = (token: string) => authenticate(request(token), getAuth(app));

describe("authenticate with the production verifier", () => {
  it("accepts a token signed with Firebase's published key", async () => {
    await expect(check(idToken(firebaseKey.key))).resolves.toBe("user-1");
  });

  it("refuses a forged signature: the same claims and key id, signed with another key", async () => {
    await expect(check(idToken(forgerKey.key))).rejects.toMatchObject({ status: 401, code: "unauthenticated" });
  });

  it("refuses a token of another project, and an expired one", async () => {
    await expect(check(idToken(firebaseKey.key, { aud: "other-project" }))).rejects.toMatchObject({ status: 401 });
    const old = Math.floor(Date.now() / 1000) - 7200;
    await expect(check(idToken(firebaseKey.key, { iat: old, exp: old + 3600 }))).rejects.toMatchObject({
      status: 401,
    });
  });

  it("refuses a token issued before a revocation of the user's sessions; 403 for a disabled account", async () => {
    google.user = { disabled: false, validSince: String(Math.floor(Date.now() / 1000)) };
    await expect(check(idToken(firebaseKey.key))).rejects.toMatchObject({ status: 401, code: "unauthenticated" });
    google.user = { disabled: true, validSince: "0" };
    await expect(check(idToken(firebaseKey.key))).rejects.toMatchObject({ status: 403, code: "permission_denied" });
  });

  it(
    "answers 503 auth_unavailable when the check itself fails (the account lookup is down), not 401",
    { timeout: 30_000 },
    async () => {
      google.lookupStatus = 500;
      await expect(check(idToken(firebaseKey.key))).rejects.toMatchObject({ status: 503, code: "auth_unavailable" });
    },
  );

  it("answers 503 auth_unavailable when Google's key set cannot be fetched", { timeout: 30_000 }, async () => {
    // A fresh app: the key set is cached per verifier once fetched.
    const fresh = initializeApp({ ...app.options }, `verifier-${randomUUID()}`);
    google.certsStatus = 500;
    try {
      await expect(authenticate(request(idToken(firebaseKey.key)), getAuth(fresh))).rejects.toMatchObject({
        status: 503,
        code: "auth_unavailable",
      });
    } finally {
      await deleteApp(fresh);
    }
  });
});
