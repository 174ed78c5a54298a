/**
 * Hostile uploads: decode bombs (an hour of FLAC silence is a few hundred KB and decodes to ~115 MB; this project
 * caps audio at MAX_AUDIO_SECONDS = 1800 s) through the multipart endpoint, an upload session and the voice-sample
 * endpoint, and a session declaring 2 GiB. Each is refused or ends with a reason, and nothing is left behind.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runFfmpeg } from "../../src/audio/ffmpeg.js";
import { withTempDir } from "../../src/audio/tempDir.js";
import { userPath } from "../../src/store/paths.js";
import { db } from "../../src/store/firebase.js";
import {
  apiUrl,
  config,
  createMemory,
  createUser,
  objectNames,
  postAudio,
  readMemory,
  waitFor,
  type TestUser,
} from "../support/emulators.js";

/** FLAC of silence: with its duration in the header, or streamed (no total in the header: only decoding tells). */
const silenceFlac = (seconds: number, streamed: boolean) =>
  withTempDir("bomb", async (dir) => {
    const out = join(dir, "bomb.flac");
    const input = ["-f", "lavfi", "-i", `anullsrc=r=16000:cl=mono`, "-t", String(seconds), "-c:a", "flac"];
    // Through a pipe ffmpeg cannot go back and write the total sample count into STREAMINFO.
    if (streamed) await runFfmpeg([...input, "-f", "flac", "-y", `pipe:1`], { stdoutTo: out });
    else await runFfmpeg([...input, "-y", out]);
    return readFile(out);
  });

let bomb: Buffer;
let streamedBomb: Buffer;
beforeAll(async () => {
  [bomb, streamedBomb] = await Promise.all([silenceFlac(3600, false), silenceFlac(2400, true)]);
});

const ended = (user: TestUser, memoryId: string) =>
  waitFor(
    async () => {
      const pp = (await readMemory(user.uid, memoryId))?.postprocessing;
      return pp && ["failed", "canceled", "completed"].includes(pp.status) ? pp : null;
    },
    { what: "the job to end", timeoutMs: 150_000 },
  );

async function expectNothingLeft(user: TestUser, memoryId: string) {
  expect(await objectNames(config.postprocessingBucket, `${user.uid}/${memoryId}/`)).toEqual([]);
  expect(await objectNames(config.recordingsBucket, `${user.uid}/${memoryId}/`)).toEqual([]);
}

describe("decode bombs", () => {
  it("are small files that would decode to hours of audio", () => {
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    expect(3600 * 16_000 * 2).toBeGreaterThan(50 * bomb.length);
  });

  it("an hour of FLAC through the multipart endpoint fails before decoding, and is not kept", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const before = (await readMemory(user.uid, memoryId))!.transcript_segments;
    const res = await postAudio({
      memoryId,
      token: user.idToken,
      file: bomb,
      filename: "a.flac",
      fileType: "audio/flac",
    });
    expect(res.status).toBe(200);
    const pp = await ended(user, memoryId);
    expect(pp.status).toBe("failed");
    expect(pp.fail_reason).toMatch(/^audio_too_long: The audio is over 3600 s long; at most 1800 s are accepted/);
    expect((await readMemory(user.uid, memoryId))!.transcript_segments).toEqual(before);
    await waitFor(
      async () => (await objectNames(config.postprocessingBucket, `${user.uid}/${memoryId}/`)).length === 0,
    );
    await expectNothingLeft(user, memoryId);
  });

  it("a FLAC that declares no length is stopped at the cap while decoding", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const res = await postAudio({ memoryId, token: user.idToken, file: streamedBomb, filename: "a.flac" });
    expect(res.status).toBe(200);
    const pp = await ended(user, memoryId);
    expect(pp.fail_reason).toMatch(/^audio_too_long:/);
    await waitFor(
      async () => (await objectNames(config.postprocessingBucket, `${user.uid}/${memoryId}/`)).length === 0,
    );
    await expectNothingLeft(user, memoryId);
  });

  it("through an upload session: the same refusal, nothing kept", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const session = await fetch(apiUrl(`/v1/memories/${memoryId}/post-processing/upload-session`), {
      method: "POST",
      headers: { authorization: `Bearer ${user.idToken}`, "content-type": "application/json" },
      body: JSON.stringify({ content_type: "audio/flac", size_bytes: bomb.length }),
    });
    expect(session.status).toBe(200);
    const { upload } = await session.json();
    const put = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: new Uint8Array(bomb) });
    expect(put.ok).toBe(true);
    const pp = await ended(user, memoryId);
    expect(pp.fail_reason).toMatch(/^audio_too_long:/);
    await waitFor(
      async () => (await objectNames(config.postprocessingBucket, `${user.uid}/${memoryId}/`)).length === 0,
    );
    await expectNothingLeft(user, memoryId);
  });

  it("a session declaring 2 GiB is refused at once and changes nothing", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const before = await readMemory(user.uid, memoryId);
    const res = await fetch(apiUrl(`/v1/memories/${memoryId}/post-processing/upload-session`), {
      method: "POST",
      headers: { authorization: `Bearer ${user.idToken}`, "content-type": "application/json" },
      body: JSON.stringify({ content_type: "audio/flac", size_bytes: 2 * 1024 ** 3 }),
    });
    expect([res.status, (await res.json()).error.code]).toEqual([413, "payload_too_large"]);
    expect(await readMemory(user.uid, memoryId)).toEqual(before);
    await expectNothingLeft(user, memoryId);
  });

  it("as a voice sample: 422 after decoding at most the sample limit, nothing stored", async () => {
    const user = await createUser({ storeRecordings: true });
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(bomb)], { type: "audio/flac" }), "sample.flac");
    const res = await fetch(apiUrl("/v3/upload-audio"), {
      method: "POST",
      headers: { authorization: `Bearer ${user.idToken}` },
      body: form,
    });
    // The decoder stops at the limit (unit-tested in normalize.test.ts); no wall-clock bound here.
    expect([res.status, (await res.json()).error.code]).toEqual([422, "sample_too_long"]);
    expect((await db().doc(userPath(user.uid)).get()).get("speech_profile")).toBeUndefined();
    expect(await objectNames(config.recordingsBucket, `${user.uid}/`)).toEqual([]);
  });
});
