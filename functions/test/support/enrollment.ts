/** Voice samples for the enrollment endpoints: spoken by espeak-ng voices, posted as the app posts them. */
import { apiUrl } from "./emulators.js";
import { makeConversation } from "./speech.js";

/** A sample of `voice` reading `sentences` (enrollment wants 5–180 s of speech: two sentences are enough). */
export async function voiceSample(voice: string, sentences: string[]): Promise<Buffer> {
  const turns = sentences.map((text) => ({ voice, text }));
  return (await makeConversation(turns, { gapS: 0.4 })).wav;
}

/** POSTs a sample as the multipart field `file` to an enrollment route. */
export function postVoiceSample(path: string, token: string, file: Buffer): Promise<Response> {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(file)], { type: "audio/wav" }), "sample.wav");
  return fetch(apiUrl(path), { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
}
