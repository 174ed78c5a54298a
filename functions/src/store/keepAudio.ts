/**
 * Writing audio to the recordings bucket only while the user allows it, safe against a concurrent revocation
 * (`DELETE /v1/users/store-recording-permission`, or the permission switched off). The permission is read before the
 * write (its grant: allowed, and under which revocation count) and read again after it, in a transaction that also
 * stores the reference to the object. A revocation in between, whose listing could not see an object not yet written,
 * is caught there: the object is deleted and no reference is stored. A reference stored in that transaction is seen by
 * any later revocation, which deletes the object and clears the reference.
 */
import type { File } from "@google-cloud/storage";
import type { DocumentSnapshot, Transaction } from "firebase-admin/firestore";
import * as logs from "../logs.js";
import { bucket, db } from "./firebase.js";
import { userPath } from "./paths.js";
import { grantOf, type AudioStorageGrant } from "./users.js";

/** Whether `grant` (read before a write) still holds, given the user doc as a transaction reads it now. Pure. */
export const grantHolds = (grant: AudioStorageGrant, user: DocumentSnapshot): boolean => {
  const now = grantOf(user);
  return grant.allowed && now.allowed && now.revocations === grant.revocations;
};

/**
 * After writing `file` under `grant`: in one transaction, if the grant still holds, `store(tx)` writes the reference
 * and true is returned; if not, `revoked(tx)` may clear what was written before, the object is deleted, and false is
 * returned.
 */
export async function confirmKept(
  uid: string,
  grant: AudioStorageGrant,
  file: File,
  opts: { store?: (tx: Transaction) => void | Promise<void>; revoked?: (tx: Transaction) => void | Promise<void> } = {},
): Promise<boolean> {
  const userRef = db().doc(userPath(uid));
  const kept = await db().runTransaction(async (tx) => {
    const holds = grantHolds(grant, await tx.get(userRef));
    await (holds ? opts.store : opts.revoked)?.(tx);
    return holds;
  });
  if (!kept) {
    await file.delete({ ignoreNotFound: true });
    logs.keptAudioRevoked({ uid }, file.name);
  }
  return kept;
}

/**
 * Deletes a kept recording a newer upload of the same memory replaced (nothing refers to it any more). A failure is
 * logged and left to the daily audit of the buckets, which deletes unreferenced objects.
 */
export async function deleteReplacedRecording(uid: string, recordingsBucket: string, name: string): Promise<void> {
  try {
    await bucket(recordingsBucket).file(name).delete({ ignoreNotFound: true });
    logs.replacedRecordingDeleted({ uid }, name);
  } catch (err) {
    logs.recordingDeleteFailed({ uid }, name, err);
  }
}
