/** Builds the notifier from configuration: FCM (firebase-admin messaging), or the recording-only local one. */
import type { Config } from "../../config.js";
import type { Notifier } from "./types.js";

export async function createNotifier(config: Config): Promise<Notifier> {
  if (config.notifier === "fcm") {
    const [{ FcmNotifier }, { getMessaging }, { getApps, initializeApp }] = await Promise.all([
      import("./fcm.js"),
      import("firebase-admin/messaging"),
      import("firebase-admin/app"),
    ]);
    return new FcmNotifier(() => getMessaging(getApps()[0] ?? initializeApp()));
  }
  const { LocalNotifier } = await import("./local.js");
  return new LocalNotifier();
}
