/**
 * A voice sample for enrollment, from its bytes to an embedding: sniffed, decoded to 16 kHz mono, checked for length
 * (5–180 s) and for actual speech (VAD), and its speech embedded. The enrollment endpoints run it on uploads, and
 * re-embedding (store/profileMigration.ts) on the samples kept in the recordings bucket. Refusals are HttpErrors
 * (4xx with a code the app can show).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { HttpError, PipelineError } from "../errors.js";
import { normalizeToWav16kMono } from "../audio/normalize.js";
import { concatSamples, readWavSamples, sliceSamples } from "../audio/pcm.js";
import { sniffAudioFormat, SUPPORTED_FORMATS_TEXT, type AudioFormat } from "../audio/sniff.js";
import { withTempDir } from "../audio/tempDir.js";
import { sharedVad } from "../audio/vad.js";
import type { SpeakerEmbedder } from "../model/speaker.js";

export const SAMPLE_MIN_SECONDS = 5;
export const SAMPLE_MAX_SECONDS = 180;
/** Less detected speech than this is silence, noise or a clip too thin to characterise a voice. */
export const SAMPLE_MIN_SPEECH_SECONDS = 2;

export interface EmbeddedVoiceSample {
  embedding: Float32Array;
  modelId: string;
  durationS: number;
  speechSeconds: number;
  format: AudioFormat;
}

/** Embeds the speech of a sample's bytes (`head`: its first bytes, at least audio/sniff.ts SNIFF_BYTES of them). */
export async function embedVoiceSample(
  audio: { head: Uint8Array; chunks: Uint8Array[] },
  embedder: SpeakerEmbedder,
): Promise<EmbeddedVoiceSample> {
  const format = await sniffAudioFormat(audio.head);
  if (!format) throw new HttpError(415, "unsupported_media_type", `The voice sample is not ${SUPPORTED_FORMATS_TEXT}.`);

  return withTempDir("voice-sample", async (dir) => {
    const input = join(dir, `upload.${format.ext}`);
    const wav = join(dir, "normalized.wav");
    await writeFile(input, audio.chunks);
    let durationS: number;
    try {
      // Capped while decoding: a sample that decodes to hours is stopped at the limit, not read into memory.
      ({ durationS } = await normalizeToWav16kMono(input, wav, { format: format.ext, maxSeconds: SAMPLE_MAX_SECONDS }));
    } catch (err) {
      if (err instanceof PipelineError && err.code === "audio_too_long") {
        throw new HttpError(422, "sample_too_long", `The voice sample is longer than ${SAMPLE_MAX_SECONDS} s.`);
      }
      if (err instanceof PipelineError && !err.retryable) {
        throw new HttpError(422, "undecodable_audio", "The voice sample could not be decoded.");
      }
      throw err;
    }
    if (durationS < SAMPLE_MIN_SECONDS)
      throw new HttpError(
        422,
        "sample_too_short",
        `The voice sample is ${durationS.toFixed(1)} s; at least ${SAMPLE_MIN_SECONDS} s are needed.`,
      );
    if (durationS > SAMPLE_MAX_SECONDS)
      throw new HttpError(
        422,
        "sample_too_long",
        `The voice sample is ${durationS.toFixed(1)} s; at most ${SAMPLE_MAX_SECONDS} s are accepted.`,
      );

    const { samples, sampleRate } = await readWavSamples(wav);
    const regions = await (await sharedVad()).detect(samples);
    const speechSeconds = regions.reduce((s, r) => s + (r.end - r.start), 0);
    const speech = concatSamples(regions.map((r) => sliceSamples(samples, sampleRate, r.start, r.end)));
    const embedding = speechSeconds >= SAMPLE_MIN_SPEECH_SECONDS ? await embedder.embed(speech) : null;
    if (!embedding)
      throw new HttpError(
        422,
        "no_speech",
        `The voice sample has ${speechSeconds.toFixed(1)} s of speech; ` +
          `at least ${SAMPLE_MIN_SPEECH_SECONDS} s are needed.`,
      );
    return { embedding, modelId: embedder.modelId, durationS, speechSeconds, format };
  });
}
