/**
 * What the API answers when Cloud Storage fails it, with the API run in this process and its Storage client behind a
 * proxy to the emulator that refuses what a test says (as a bucket with broken permissions would, 403): an upload
 * whose audio cannot be written is 503 `storage_unavailable` with nothing changed; a deletion of kept audio that
 * cannot delete everything is 503 `deletion_incomplete`, never a 200.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../../src/http/app.js";
import { loadConfig } from "../../src/config.js";
import { LocalTextEmbedder } from "../../src/providers/textEmbedder/local.js";
import { newStorageClient } from "../../src/store/firebase.js";
import { usagePath } from "../../src/store/usage.js";
import { db } from "../../src/store/firebase.js";
import { makeWav } from "../support/audio.js";
import { config, createMemory, createUser, readMemory } from "../support/emulators.js";

const emulator = process.env.FIREBASE_STORAGE_EMULATOR_HOST!;
/** The real emulator, for the test's own reads and writes. */
const direct = newStorageClient({ apiEndpoint: `http://${emulator}` });
const names = async (bucketName: string, prefix: string) =>
  (await direct.bucket(bucketName).getFiles({ prefix }))[0].map((f) => f.name).sort();

/** Which requests the proxy refuses: uploads (object inserts) and/or deletes. */
const refuse = { uploads: false, deletes: false };
let proxy: Server;
let api: Server;
let apiBase = "";

beforeAll(async () => {
  const [host, port] = emulator.split(":");
  proxy = createServer((req, res) => {
    const upload = req.method === "POST" && /\/upload\/storage\/v1\/b\//.test(req.url ?? "");
    if ((upload && refuse.uploads) || (req.method === "DELETE" && refuse.deletes)) {
      req.resume();
      res
        .writeHead(403, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { code: 403, message: "The caller does not have storage.objects permission." } }));
      return;
    }
    const upstream = httpRequest({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers });
    upstream.on("response", (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  // The API's Storage client (created on its first use, in this process) goes through the proxy.
  process.env.STORAGE_EMULATOR_HOST = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const app = createApi({ config: loadConfig, textEmbedder: async () => new LocalTextEmbedder(64) });
  // As the Functions runtime serves it: the body read first and handed over as `rawBody` (multipart uploads use it).
  api = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      (req as typeof req & { rawBody: Buffer }).rawBody = Buffer.concat(chunks);
      app(req, res);
    });
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => api.once("listening", resolve));
  apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => api.close(resolve));
  await new Promise((resolve) => proxy.close(resolve));
});

function upload(memoryId: string, token: string) {
  const form = new FormData();
  const wav = makeWav({ seconds: 11, channels: 1, sampleRate: 16_000 });
  form.append("file", new Blob([new Uint8Array(wav)], { type: "audio/wav" }), "recording.wav");
  return fetch(`${apiBase}/v1/memories/${memoryId}/post-processing`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
}

describe("Cloud Storage failing the API", () => {
  it("an upload whose audio cannot be written: 503 storage_unavailable, job rolled back, nothing counted", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const before = await readMemory(user.uid, memoryId);
    refuse.uploads = true;
    try {
      const res = await upload(memoryId, user.idToken);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("storage_unavailable");
    } finally {
      refuse.uploads = false;
    }
    expect(await readMemory(user.uid, memoryId)).toEqual(before);
    expect((await db().doc(usagePath(user.uid)).get()).get("jobs") ?? {}).toEqual({});
    expect(await names(config.postprocessingBucket, `${user.uid}/`)).toEqual([]);
    expect(await names(config.recordingsBucket, `${user.uid}/`)).toEqual([]);
    // Storage back: the same upload goes through.
    expect((await upload(memoryId, user.idToken)).status).toBe(200);
  });

  it("a deletion of kept audio that cannot delete every object: 503 deletion_incomplete, permission off", async () => {
    const user = await createUser({ storeRecordings: true });
    const kept = `${user.uid}/mem-1/job-1.wav`;
    await direct.bucket(config.recordingsBucket).file(kept).save(Buffer.from("RIFF"), { resumable: false });
    refuse.deletes = true;
    try {
      const res = await fetch(`${apiBase}/v1/users/store-recording-permission`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${user.idToken}` },
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("deletion_incomplete");
    } finally {
      refuse.deletes = false;
    }
    // Nothing is kept from now on, and the object that could not go is still listed for the next try.
    expect((await db().doc(`users/${user.uid}`).get()).get("store_recording_permission")).toBe(false);
    expect(await names(config.recordingsBucket, `${user.uid}/`)).toEqual([kept]);
    const audit = await db().collection(`users/${user.uid}/audit`).get();
    expect(audit.docs.map((d) => d.get("outcome"))).toEqual(["incomplete"]);
  });
});
