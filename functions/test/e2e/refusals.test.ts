/** Every refusal: the right status and JSON error code, and nothing written to Firestore or either bucket. */
import { describe, expect, it } from "vitest";
import { auth } from "../../src/store/firebase.js";
import { makeWav } from "../support/audio.js";
import {
  config,
  createMemory,
  createUser,
  objectNames,
  postAudio,
  readMemory,
  uploadUrl,
  waitFor,
  type TestUser,
} from "../support/emulators.js";

const wav = makeWav({ seconds: 11, channels: 1, sampleRate: 16_000 });

async function expectRefusal(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json();
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(5);
}

/** Runs `act` and asserts the memory doc and the user's objects in both buckets are exactly as before. */
async function expectNothingChanged(user: TestUser, memoryId: string, act: () => Promise<void>) {
  const before = await readMemory(user.uid, memoryId);
  await act();
  // The API writes objects before it answers, so an empty listing right after the answer is final; a job would only
  // ever be started by such an object.
  expect(await readMemory(user.uid, memoryId)).toEqual(before);
  expect(await objectNames(config.postprocessingBucket, `${user.uid}/`)).toEqual([]);
  expect(await objectNames(config.recordingsBucket, `${user.uid}/`)).toEqual([]);
}

describe("refusals", () => {
  it("401 without a token, with a malformed one, and with a forged one", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    await expectNothingChanged(user, memoryId, async () => {
      await expectRefusal(await postAudio({ memoryId, file: wav }), 401, "unauthenticated");
      await expectRefusal(await postAudio({ memoryId, file: wav, token: "not-a-jwt" }), 401, "unauthenticated");
      const [h, p] = user.idToken.split(".");
      const expiredPayload = { ...JSON.parse(Buffer.from(p, "base64url").toString()), exp: 1 };
      const forged = `${h}.${Buffer.from(JSON.stringify(expiredPayload)).toString("base64url")}.`;
      await expectRefusal(await postAudio({ memoryId, file: wav, token: forged }), 401, "unauthenticated");
    });
  });

  it("401 for a token issued before the user's sessions were revoked (a sign-out everywhere)", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    // Revocation is at second resolution: revoke in a later second than the token was issued in.
    const issuedAt = JSON.parse(Buffer.from(user.idToken.split(".")[1], "base64url").toString()).iat as number;
    await waitFor(async () => Math.floor(Date.now() / 1000) > issuedAt, { what: "the next second" });
    await auth().revokeRefreshTokens(user.uid);
    await expectNothingChanged(user, memoryId, async () => {
      await expectRefusal(await postAudio({ memoryId, file: wav, token: user.idToken }), 401, "unauthenticated");
    });
  });

  it("403 for a disabled account", async () => {
    const user = await createUser({ storeRecordings: true, disabled: true });
    const memoryId = await createMemory(user.uid);
    await expectNothingChanged(user, memoryId, async () => {
      await expectRefusal(await postAudio({ memoryId, file: wav, token: user.idToken }), 403, "permission_denied");
    });
  });

  it("404 for a memory that does not exist or belongs to someone else", async () => {
    const owner = await createUser({ storeRecordings: true });
    const other = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(owner.uid);
    await expectNothingChanged(owner, memoryId, async () => {
      await expectRefusal(await postAudio({ memoryId, file: wav, token: other.idToken }), 404, "memory_not_found");
      await expectRefusal(
        await postAudio({ memoryId: "no-such-memory", file: wav, token: owner.idToken }),
        404,
        "memory_not_found",
      );
    });
    expect(await objectNames(config.postprocessingBucket, `${other.uid}/`)).toEqual([]);
  });

  it("409 while a job is in progress, and for a completed memory", async () => {
    const user = await createUser({ storeRecordings: true });
    const now = new Date().toISOString();
    const running = await createMemory(user.uid, {
      postprocessing: { status: "in_progress", job_id: "job-a", model: "fal_whisperx", updated_at: now, stages: {} },
    });
    const done = await createMemory(user.uid, {
      postprocessing: { status: "completed", job_id: "job-b", model: "fal_whisperx", updated_at: now, stages: {} },
    });
    await expectNothingChanged(user, running, async () => {
      await expectRefusal(
        await postAudio({ memoryId: running, file: wav, token: user.idToken }),
        409,
        "job_in_progress",
      );
    });
    await expectNothingChanged(user, done, async () => {
      await expectRefusal(
        await postAudio({ memoryId: done, file: wav, token: user.idToken }),
        409,
        "already_post_processed",
      );
    });
  });

  it("a stale in-progress job no longer blocks a new upload", async () => {
    const user = await createUser();
    const staleAt = new Date(Date.now() - config.jobStaleAfterMs - 60_000).toISOString();
    const memoryId = await createMemory(user.uid, {
      postprocessing: {
        status: "in_progress",
        job_id: "job-old",
        model: "fal_whisperx",
        updated_at: staleAt,
        stages: {},
      },
    });
    const res = await postAudio({ memoryId, file: wav, token: user.idToken });
    expect(res.status).toBe(200);
    expect((await res.json()).postprocessing.job_id).not.toBe("job-old");
  });

  it("422 for a discarded or deleted memory", async () => {
    const user = await createUser({ storeRecordings: true });
    const discarded = await createMemory(user.uid, { discarded: true });
    const deleted = await createMemory(user.uid, { deleted: true });
    await expectNothingChanged(user, discarded, async () => {
      await expectRefusal(
        await postAudio({ memoryId: discarded, file: wav, token: user.idToken }),
        422,
        "memory_discarded",
      );
    });
    await expectNothingChanged(user, deleted, async () => {
      await expectRefusal(
        await postAudio({ memoryId: deleted, file: wav, token: user.idToken }),
        422,
        "memory_deleted",
      );
    });
  });

  it("415 for a non-multipart body and for files that are not audio, whatever their name", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    await expectNothingChanged(user, memoryId, async () => {
      const json = await fetch(uploadUrl(memoryId), {
        method: "POST",
        headers: { authorization: `Bearer ${user.idToken}`, "content-type": "application/json" },
        body: JSON.stringify({ file: "x" }),
      });
      await expectRefusal(json, 415, "unsupported_media_type");
      const text = Buffer.from("RIFF this is just text pretending to be a wav file ".repeat(100));
      await expectRefusal(
        await postAudio({ memoryId, file: text, filename: "memo.wav", fileType: "audio/wav", token: user.idToken }),
        415,
        "unsupported_media_type",
      );
      const png = Buffer.concat([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), Buffer.alloc(2000)]);
      await expectRefusal(
        await postAudio({ memoryId, file: png, filename: "memo.mp3", fileType: "audio/mpeg", token: user.idToken }),
        415,
        "unsupported_media_type",
      );
    });
  });

  it("400 for a missing or empty file part, a bad flag, and a malformed body", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    await expectNothingChanged(user, memoryId, async () => {
      await expectRefusal(await postAudio({ memoryId, token: user.idToken }), 400, "invalid_argument");
      await expectRefusal(
        await postAudio({ memoryId, token: user.idToken, file: wav, field: "audio" }),
        400,
        "invalid_argument",
      );
      await expectRefusal(
        await postAudio({ memoryId, token: user.idToken, file: Buffer.alloc(0) }),
        400,
        "invalid_argument",
      );
      await expectRefusal(
        await postAudio({ memoryId, token: user.idToken, file: wav, query: "?emotional_feedback=maybe" }),
        400,
        "invalid_argument",
      );
      const broken = await fetch(uploadUrl(memoryId), {
        method: "POST",
        headers: { authorization: `Bearer ${user.idToken}`, "content-type": "multipart/form-data" },
        body: '--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
      });
      await expectRefusal(broken, 400, "invalid_argument");
    });
  });

  it("413 for a file over the upload limit", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const big = makeWav({
      seconds: Math.ceil((config.maxUploadBytes + 1024 * 1024) / 32_000),
      channels: 1,
      sampleRate: 16_000,
    });
    expect(big.length).toBeGreaterThan(config.maxUploadBytes);
    expect(big.length).toBeLessThan(32 * 1024 * 1024 - 4096);
    await expectNothingChanged(user, memoryId, async () => {
      await expectRefusal(await postAudio({ memoryId, token: user.idToken, file: big }), 413, "payload_too_large");
    });
  });

  it("JSON 404 for unknown routes and 405 for the wrong method", async () => {
    await expectRefusal(
      await fetch(uploadUrl("m").replace("post-processing", "nothing-here"), { method: "POST" }),
      404,
      "not_found",
    );
    const res = await fetch(uploadUrl("m"), { method: "GET" });
    await expectRefusal(res, 405, "method_not_allowed");
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("two simultaneous uploads for one memory start exactly one job", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const responses = await Promise.all([0, 1, 2].map(() => postAudio({ memoryId, token: user.idToken, file: wav })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409]);
    const winner = await responses.find((r) => r.status === 200)!.json();
    const jobId = winner.postprocessing.job_id;
    expect((await readMemory(user.uid, memoryId))!.postprocessing.job_id).toBe(jobId);
    const names = await objectNames(config.recordingsBucket, `${user.uid}/`);
    expect(names).toEqual([`${user.uid}/${memoryId}/${jobId}.wav`]);
  });
});
