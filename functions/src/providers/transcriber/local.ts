/**
 * The offline transcriber: pocketsphinx (Debian) for words, Silero VAD + speaker embeddings + clustering for who
 * spoke. Weak recognition (see README), but real, and it needs no key and no network.
 */
import { join } from "node:path";
import { SileroVad } from "../../audio/vad.js";
import { withTempDir } from "../../tempDir.js";
import { sliceSamples, writeWavSamples } from "../../audio/pcm.js";
import { assignSpeakers, diarize } from "../../diarization/diarize.js";
import { BaselineSpeakerEmbedder } from "../../speaker/baselineEmbedder.js";
import { isPocketsphinxAvailable, recognizeWav } from "./pocketsphinx.js";
import type { SpeechRegion, TranscribedWord } from "./types.js";

export const LOCAL_MODEL = "local/pocketsphinx+silero-vad+baseline-diarization";

let vad: Promise<SileroVad> | undefined;
export const sharedVad = () => (vad ??= SileroVad.load());

export const localTranscriberAvailable = () => isPocketsphinxAvailable();

export async function detectSpeech(samples: Float32Array): Promise<SpeechRegion[]> {
  return (await sharedVad()).detect(samples);
}

/** Words of one chunk [startS, endS) of the recording, with times on the recording's clock. */
export async function transcribeChunk(samples: Float32Array, sampleRate: number, startS: number, endS: number): Promise<TranscribedWord[]> {
  return withTempDir("local-stt", async (dir) => {
    const path = join(dir, "chunk.wav");
    await writeWavSamples(path, sliceSamples(samples, sampleRate, startS, endS), sampleRate);
    const words = await recognizeWav(path);
    return words.map((w) => ({ ...w, start: w.start + startS, end: w.end + startS }));
  });
}

/** Speaker labels for the whole recording's words (diarized once over the whole file, so labels agree across chunks). */
export async function labelSpeakers(samples: Float32Array, sampleRate: number, words: TranscribedWord[], numSpeakers?: number): Promise<TranscribedWord[]> {
  const turns = await diarize(samples, sampleRate, { vad: await sharedVad(), embedder: new BaselineSpeakerEmbedder(), numSpeakers });
  return assignSpeakers(words, turns);
}
