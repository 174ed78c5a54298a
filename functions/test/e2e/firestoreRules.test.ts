/** firestore.rules, evaluated by the Firestore emulator for requests carrying real Auth-emulator ID tokens. */
import { describe, expect, it } from "vitest";
import { FieldValue } from "firebase-admin/firestore";
import { db } from "../../src/store/firebase.js";
import { createMemory, createUser, PROJECT_ID, readMemory } from "../support/emulators.js";

const docsUrl = (path: string) =>
  `http://${process.env.FIRESTORE_EMULATOR_HOST}/v1/projects/${PROJECT_ID}/databases/(default)/documents/${path}`;

function request(
  path: string,
  token: string | null,
  init: { method?: string; fields?: Record<string, unknown>; mask?: string[] } = {},
) {
  const url = new URL(docsUrl(path));
  for (const f of init.mask ?? []) url.searchParams.append("updateMask.fieldPaths", f);
  return fetch(url, {
    method: init.method ?? "GET",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: init.fields ? JSON.stringify({ fields: init.fields }) : undefined,
  });
}

describe("firestore.rules", () => {
  it("a user reads only their own user doc, memories and transcripts", async () => {
    const alice = await createUser();
    const bob = await createUser();
    const memoryId = await createMemory(alice.uid);
    expect((await request(`users/${alice.uid}/memories/${memoryId}`, alice.idToken)).status).toBe(200);
    expect((await request(`users/${alice.uid}`, alice.idToken)).status).toBe(200);
    expect((await request(`users/${alice.uid}/memories/${memoryId}`, bob.idToken)).status).toBe(403);
    expect((await request(`users/${alice.uid}/memories/${memoryId}`, null)).status).toBe(403);
    expect((await request(`users/${alice.uid}`, bob.idToken)).status).toBe(403);
    expect((await request(`users/${alice.uid}/memories/${memoryId}/transcripts/v1`, bob.idToken)).status).toBe(403);
  });

  it("clients cannot write pipeline fields or create memories, but may flag a memory discarded", async () => {
    const alice = await createUser();
    const memoryId = await createMemory(alice.uid);
    const path = `users/${alice.uid}/memories/${memoryId}`;
    const before = await readMemory(alice.uid, memoryId);

    const writes: [string[], Record<string, unknown>][] = [
      [["postprocessing"], { postprocessing: { mapValue: { fields: { status: { stringValue: "completed" } } } } }],
      [["transcript_segments"], { transcript_segments: { arrayValue: { values: [] } } }],
      [["structured"], { structured: { mapValue: { fields: {} } } }],
      [["discarded", "postprocessing"], { discarded: { booleanValue: true }, postprocessing: { nullValue: null } }],
    ];
    for (const [mask, fields] of writes) {
      expect((await request(path, alice.idToken, { method: "PATCH", mask, fields })).status).toBe(403);
    }
    expect(await readMemory(alice.uid, memoryId)).toEqual(before);

    const created = await request(`users/${alice.uid}/memories/client-made`, alice.idToken, {
      method: "PATCH",
      fields: { discarded: { booleanValue: false } },
    });
    expect(created.status).toBe(403);

    const ok = await request(path, alice.idToken, {
      method: "PATCH",
      mask: ["discarded"],
      fields: { discarded: { booleanValue: true } },
    });
    expect(ok.status).toBe(200);
    expect((await readMemory(alice.uid, memoryId))!.discarded).toBe(true);
  });

  it("a user may set their recording permission but not another user's, nor other user fields", async () => {
    const alice = await createUser({ storeRecordings: false });
    const bob = await createUser();
    const permission = { store_recording_permission: { booleanValue: true } };
    expect(
      (
        await request(`users/${alice.uid}`, bob.idToken, {
          method: "PATCH",
          mask: ["store_recording_permission"],
          fields: permission,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await request(`users/${alice.uid}`, alice.idToken, {
          method: "PATCH",
          mask: ["speech_profile"],
          fields: { speech_profile: { stringValue: "x" } },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await request(`users/${alice.uid}`, alice.idToken, {
          method: "PATCH",
          mask: ["store_recording_permission"],
          fields: { store_recording_permission: { stringValue: "yes" } },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await request(`users/${alice.uid}`, alice.idToken, {
          method: "PATCH",
          mask: ["store_recording_permission"],
          fields: permission,
        })
      ).status,
    ).toBe(200);
  });

  it("clients can neither read nor write memory vectors, not even their own", async () => {
    const alice = await createUser();
    const memoryId = await createMemory(alice.uid);
    await db()
      .doc(`users/${alice.uid}/memory_vectors/${memoryId}`)
      .set({ memory_id: memoryId, embedder: "x@2", embedding: FieldValue.vector([1, 0]) });
    expect((await request(`users/${alice.uid}/memory_vectors/${memoryId}`, alice.idToken)).status).toBe(403);
    const write = await request(`users/${alice.uid}/memory_vectors/${memoryId}`, alice.idToken, {
      method: "PATCH",
      fields: { embedder: { stringValue: "forged" } },
    });
    expect(write.status).toBe(403);
    expect((await db().doc(`users/${alice.uid}/memory_vectors/${memoryId}`).get()).get("embedder")).toBe("x@2");
  });

  it("a user reads their own audit entries but can neither write nor delete one", async () => {
    const alice = await createUser();
    const bob = await createUser();
    const path = `users/${alice.uid}/audit/entry-1`;
    await db().doc(path).set({ action: "recordings_deleted", objects_deleted: 3 });
    expect((await request(path, alice.idToken)).status).toBe(200);
    expect((await request(path, bob.idToken)).status).toBe(403);
    expect((await request(path, null)).status).toBe(403);
    const forged = { action: { stringValue: "recordings_deleted" }, objects_deleted: { integerValue: "0" } };
    expect((await request(path, alice.idToken, { method: "PATCH", fields: forged })).status).toBe(403);
    expect(
      (await request(`users/${alice.uid}/audit/made-up`, alice.idToken, { method: "PATCH", fields: forged })).status,
    ).toBe(403);
    expect((await request(path, alice.idToken, { method: "DELETE" })).status).toBe(403);
    expect((await db().doc(path).get()).data()).toEqual({ action: "recordings_deleted", objects_deleted: 3 });
  });
});
