/** User settings the pipeline reads. */
import { db } from "./firebase.js";
import { userPath } from "./paths.js";

/** Whether the user lets us keep their audio (`store_recording_permission`); anything but `true` means no. */
export async function allowsAudioStorage(uid: string): Promise<boolean> {
  return (await db().doc(userPath(uid)).get()).get("store_recording_permission") === true;
}
