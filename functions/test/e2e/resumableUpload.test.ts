/** Large recordings: an upload session on the same object path, a direct PUT, and the same pipeline after it. */
import { describe, expect, it } from "vitest";
import { bucket } from "../../src/store/firebase.js";
import { encodeAudio, makeWav } from "../support/audio.js";
import {
  apiUrl,
  config,
  createMemory,
  createUser,
  objectNames,
  readMemory,
  waitFor,
  waitForPreparedOrEnded,
} from "../support/emulators.js";

const sessionUrl = (memoryId: string, query = "") =>
  apiUrl(`/v1/memories/${memoryId}/post-processing/upload-session${query}`);

async function openSession(token: string, memoryId: string, body: unknown, query = "") {
  return fetch(sessionUrl(memoryId, query), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("POST /v1/memories/{id}/post-processing/upload-session", () => {
  it("opens a session; the PUT upload is prepared and copied to recordings when allowed", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const m4a = await encodeAudio(makeWav({ seconds: 14, channels: 1, sampleRate: 16_000 }), "m4a");

    const res = await openSession(
      user.idToken,
      memoryId,
      { content_type: "audio/mp4", size_bytes: m4a.length },
      "?emotional_feedback=true",
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.memory.postprocessing).toMatchObject({ status: "in_progress", job_id: body.job_id });
    expect(new URL(res.headers.get("location")!, res.url).pathname).toMatch(
      new RegExp(`/post-processing/jobs/${body.job_id}$`),
    );
    expect((await readMemory(user.uid, memoryId))!.postprocessing.phase).toBe("awaiting_upload");

    const put = await fetch(body.upload.url, {
      method: body.upload.method,
      headers: body.upload.headers,
      body: new Uint8Array(m4a),
    });
    expect(put.status).toBe(200);

    const objectName = `${user.uid}/${memoryId}/${body.job_id}.m4a`;
    const pp = await waitForPreparedOrEnded(user.uid, memoryId);
    expect(pp).toMatchObject({ status: "in_progress", flags: { emotional_feedback: true } });
    expect(pp.audio).toMatchObject({ uploaded_via: "resumable", recording_object: objectName, size_bytes: m4a.length });
    expect(pp.audio.duration_s).toBeGreaterThan(13.9);
    const [kept] = await bucket(config.recordingsBucket).file(objectName).download();
    expect(kept.equals(m4a)).toBe(true);
  });

  it("holds the session to its declared size: a bigger upload fails the job and is not kept", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const wav = makeWav({ seconds: 14, channels: 1, sampleRate: 16_000 });
    // Declares a tenth of what it sends (the Storage emulator does not hold the session to it; Cloud Storage does).
    const payload = { content_type: "audio/wav", size_bytes: Math.round(wav.length / 10) };
    const body = await (await openSession(user.idToken, memoryId, payload)).json();
    const put = await fetch(body.upload.url, {
      method: "PUT",
      headers: body.upload.headers,
      body: new Uint8Array(wav),
    });
    expect([200, 400]).toContain(put.status);
    const pp = await waitForPreparedOrEnded(user.uid, memoryId);
    expect(pp.status).toBe("failed");
    expect(pp.fail_reason).toMatch(/^upload_size_mismatch: The upload has \d+ bytes; its session was opened for \d+/);
    expect(pp.audio.recording_object).toBeNull();
    await waitFor(
      async () => (await objectNames(config.postprocessingBucket, `${user.uid}/${memoryId}/`)).length === 0,
      {
        what: "the oversized upload to be deleted",
      },
    );
    expect(await objectNames(config.recordingsBucket, `${user.uid}/${memoryId}/`)).toEqual([]);
  });

  it("fails the job and deletes the object when the PUT body is not audio", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const notAudio = "definitely not audio ".repeat(500);
    const payload = { content_type: "audio/wav", size_bytes: notAudio.length };
    const body = await (await openSession(user.idToken, memoryId, payload)).json();
    const put = await fetch(body.upload.url, { method: "PUT", headers: body.upload.headers, body: notAudio });
    expect(put.status).toBe(200);
    const pp = await waitForPreparedOrEnded(user.uid, memoryId);
    expect(pp.status).toBe("failed");
    expect(pp.fail_reason).toMatch(/^unsupported_media_type/);
    await waitFor(async () => (await objectNames(config.postprocessingBucket, `${user.uid}/`)).length === 0, {
      what: "rejected object to be deleted",
    });
    expect(await objectNames(config.recordingsBucket, `${user.uid}/`)).toEqual([]);
  });

  it("refuses unsupported content types, oversized declarations and bad bodies without creating a job", async () => {
    const user = await createUser({ storeRecordings: true });
    const memoryId = await createMemory(user.uid);
    const before = await readMemory(user.uid, memoryId);
    const cases: [unknown, number, string][] = [
      [{ content_type: "video/x-matroska", size_bytes: 1000 }, 415, "unsupported_media_type"],
      [{ content_type: "audio/wav" }, 400, "invalid_argument"], // the size must be declared
      [{ content_type: "audio/wav", size_bytes: config.maxResumableUploadBytes + 1 }, 413, "payload_too_large"],
      [{ size_bytes: 10 }, 400, "invalid_argument"],
      [{ content_type: "audio/wav", size_bytes: -5 }, 400, "invalid_argument"],
    ];
    for (const [payload, status, code] of cases) {
      const res = await openSession(user.idToken, memoryId, payload);
      expect(res.status).toBe(status);
      expect((await res.json()).error.code).toBe(code);
    }
    const noAuth = await fetch(sessionUrl(memoryId), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(noAuth.status).toBe(401);
    expect(await readMemory(user.uid, memoryId)).toEqual(before);
  });
});
