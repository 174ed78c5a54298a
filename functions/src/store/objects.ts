/** URLs through which a provider can fetch one of our objects. */
import { bucket } from "../firebase.js";

const URL_LIFETIME_MS = 6 * 60 * 60 * 1000;

/**
 * A short-lived read URL for `name`. In production a V4 signed URL (the functions' service account needs
 * `iam.serviceAccounts.signBlob` on itself); in the emulator, which cannot sign without a key, its plain media URL.
 */
export async function readUrlFor(bucketName: string, name: string): Promise<string> {
  const emulatorHost = process.env.FIREBASE_STORAGE_EMULATOR_HOST;
  if (emulatorHost) return `http://${emulatorHost}/v0/b/${bucketName}/o/${encodeURIComponent(name)}?alt=media`;
  const [url] = await bucket(bucketName).file(name).getSignedUrl({ version: "v4", action: "read", expires: Date.now() + URL_LIFETIME_MS });
  return url;
}
