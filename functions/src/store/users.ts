/** User settings the pipeline reads. */
import { FieldValue } from "firebase-admin/firestore";
import { db } from "./firebase.js";
import { peoplePath, userPath } from "./paths.js";

/** Whether the user lets us keep their audio (`store_recording_permission`); anything but `true` means no. */
export async function allowsAudioStorage(uid: string): Promise<boolean> {
  return (await db().doc(userPath(uid)).get()).get("store_recording_permission") === true;
}

/**
 * Counts the times audio storage was switched off (`recordings_revocations`): a write of kept audio that began under
 * one count is confirmed only under the same one (store/keepAudio.ts), so a revocation between the permission check
 * and the write is never missed, even if storage was allowed again meanwhile.
 */
export const REVOCATIONS_FIELD = "recordings_revocations";

/** Whether the user allows audio storage, and the revocation count that permission belongs to. */
export interface AudioStorageGrant {
  allowed: boolean;
  revocations: number;
}

export const grantOf = (user: { get(field: string): unknown }): AudioStorageGrant => ({
  allowed: user.get("store_recording_permission") === true,
  revocations: Number(user.get(REVOCATIONS_FIELD) ?? 0),
});

export async function audioStorageGrant(uid: string): Promise<AudioStorageGrant> {
  return grantOf(await db().doc(userPath(uid)).get());
}

/**
 * Sets `store_recording_permission` (creating the user doc if need be); switching it off also counts a revocation.
 * Returns what it was before.
 */
export function setAudioStorage(uid: string, allowed: boolean): Promise<boolean> {
  const ref = db().doc(userPath(uid));
  return db().runTransaction(async (tx) => {
    const before = (await tx.get(ref)).get("store_recording_permission") === true;
    tx.set(
      ref,
      { store_recording_permission: allowed, ...(allowed ? {} : { [REVOCATIONS_FIELD]: FieldValue.increment(1) }) },
      { merge: true },
    );
    return before;
  });
}

/** Display names for a transcript: the user's (from the user doc, else "User") and each known person's. */
export async function speakerNames(uid: string): Promise<{ user: string; people: Map<string, string> }> {
  const [user, people] = await Promise.all([db().doc(userPath(uid)).get(), db().collection(peoplePath(uid)).get()]);
  const name = [user.get("name"), user.get("display_name"), user.get("given_name")].find(
    (n): n is string => typeof n === "string" && n.trim().length > 0,
  );
  const named = people.docs.flatMap((d) => {
    const personName = d.get("name") as unknown;
    return typeof personName === "string" && personName.trim() && !d.get("deleted")
      ? [[d.id, personName.trim()] as const]
      : [];
  });
  return { user: name?.trim() ?? "User", people: new Map(named) };
}
