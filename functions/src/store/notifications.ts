/**
 * Notifications: every one is recorded at `users/{uid}/notifications/{jobId}` (at most one per job: the record is
 * created before sending and a second delivery finds it), with what was sent to which token. Dead tokens are removed
 * from the user document so they are not tried again.
 */
import { FieldValue } from "firebase-admin/firestore";
import { createHash } from "node:crypto";
import { db } from "./firebase.js";
import { memoryPath, userPath } from "./paths.js";

export const notificationPath = (uid: string, jobId: string) => `${userPath(uid)}/notifications/${jobId}`;

/** The user's FCM tokens: `fcm_token` (what the app stores) and/or a `fcm_tokens` list. */
export async function fcmTokens(uid: string): Promise<string[]> {
  const user = await db().doc(userPath(uid)).get();
  const single = user.get("fcm_token") as unknown;
  const list = user.get("fcm_tokens") as unknown;
  const tokens: unknown[] = [
    ...(typeof single === "string" ? [single] : []),
    ...(Array.isArray(list) ? (list as unknown[]) : []),
  ];
  return [...new Set(tokens.filter((t): t is string => typeof t === "string" && t.length > 0))];
}

/** Removes tokens FCM called dead from the user document. */
export async function removeTokens(uid: string, dead: string[]): Promise<void> {
  if (!dead.length) return;
  const ref = db().doc(userPath(uid));
  await db().runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    const update: Record<string, unknown> = { fcm_tokens: FieldValue.arrayRemove(...dead) };
    if (dead.includes(snap.get("fcm_token") as string)) update.fcm_token = FieldValue.delete();
    tx.update(ref, update);
  });
}

/** A token is never stored in the record in full: its hash says which one it was. */
export const tokenId = (token: string) => createHash("sha256").update(token).digest("hex").slice(0, 16);

/**
 * Creates the job's notification record, in one transaction with a look at the memory: "exists" when one exists
 * already (a duplicate delivery: nothing is sent twice), "memory_gone" when the memory was deleted or discarded (the
 * user is never told about a conversation they threw away).
 */
export async function claimNotification(
  uid: string,
  memoryId: string,
  jobId: string,
  record: Record<string, unknown>,
): Promise<"claimed" | "exists" | "memory_gone"> {
  const ref = db().doc(notificationPath(uid, jobId));
  const memoryRef = db().doc(memoryPath(uid, memoryId));
  return db().runTransaction(async (tx) => {
    const [existing, memory] = await Promise.all([tx.get(ref), tx.get(memoryRef)]);
    if (existing.exists) return "exists";
    if (!memory.exists || memory.get("deleted") === true || memory.get("discarded") === true) return "memory_gone";
    tx.create(ref, record);
    return "claimed";
  });
}

export async function finishNotification(uid: string, jobId: string, fields: Record<string, unknown>): Promise<void> {
  await db().doc(notificationPath(uid, jobId)).update(fields);
}
