/**
 * The offline transcriber: pocketsphinx (Debian) for words, Silero VAD + speaker embeddings + clustering for who
 * spoke. Weak recognition (docs/transcription.md "Offline"), but real, and it needs no key and no network.
 */
import { join } from "node:path";
import { sliceSamples, writeWavSamples } from "../../audio/pcm.js";
import { withTempDir } from "../../audio/tempDir.js";
import { sharedVad } from "../../audio/vad.js";
import type { VoiceProfile } from "../../model/speaker.js";
import type { SpeechRegion, Word } from "../../model/transcript.js";
import { diarize } from "../../speaker/diarize.js";
import { assignSpeakers } from "../../transcript/assignSpeakers.js";
import { BaselineSpeakerEmbedder } from "../speakerEmbedder/baseline.js";
import { isPocketsphinxAvailable, recognizeWav } from "./pocketsphinx.js";
import type { ChunkedTranscriber } from "./types.js";

export const LOCAL_MODEL = "local/pocketsphinx+silero-vad+baseline-diarization";

export const localTranscriberAvailable = () => isPocketsphinxAvailable();

export class LocalTranscriber implements ChunkedTranscriber {
  readonly kind = "local";
  readonly model = LOCAL_MODEL;
  private readonly embedder = new BaselineSpeakerEmbedder();
  readonly speakerModelId = this.embedder.modelId;

  async detectSpeech(samples: Float32Array): Promise<SpeechRegion[]> {
    return (await sharedVad()).detect(samples);
  }

  transcribeChunk(samples: Float32Array, sampleRate: number, startS: number, endS: number): Promise<Word[]> {
    return withTempDir("local-stt", async (dir) => {
      const path = join(dir, "chunk.wav");
      await writeWavSamples(path, sliceSamples(samples, sampleRate, startS, endS), sampleRate);
      const words = await recognizeWav(path);
      return words.map((w) => ({ ...w, start: w.start + startS, end: w.end + startS }));
    });
  }

  async labelSpeakers(
    samples: Float32Array,
    sampleRate: number,
    words: Word[],
    known: VoiceProfile[] = [],
  ): Promise<Word[]> {
    const turns = await diarize(samples, sampleRate, {
      vad: await sharedVad(),
      embedder: this.embedder,
      anchors: known.map((p) => ({ label: p.id, embedding: p.embedding })),
    });
    return assignSpeakers(words, turns);
  }
}
