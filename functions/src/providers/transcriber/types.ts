/**
 * The transcriber role: words with timings and speaker labels for a recording. Two shapes, one per kind of provider:
 * a queued one (the work happens at the provider; a request id now, the result later by webhook or poll) and a
 * chunked one (the work happens here, one chunk of the recording per invocation, then one diarization pass).
 */
import type { VoiceProfile } from "../../model/speaker.js";
import type { SpeechRegion, Transcript, Word } from "../../model/transcript.js";

export type TranscriberKind = "fal" | "local";

export type QueuedRequestState = "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED";

export interface QueuedTranscriber {
  readonly kind: "fal";
  readonly model: string;
  /** Submits the audio; the provider calls `webhookUrl` when done. Returns the provider's request id. */
  submit(request: { audioUrl: string; webhookUrl: string; language: string | null }): Promise<string>;
  status(requestId: string): Promise<QueuedRequestState>;
  /** The finished request's transcript, fetched from the provider. */
  result(requestId: string): Promise<Transcript>;
  /** A result the provider delivered itself (a webhook payload) as a transcript. */
  toTranscript(output: unknown): Transcript;
}

export interface ChunkedTranscriber {
  readonly kind: "local";
  readonly model: string;
  /** The speaker embedder its diarization uses: enrolled profiles of this model can anchor it. */
  readonly speakerModelId: string;
  detectSpeech(samples: Float32Array): Promise<SpeechRegion[]>;
  /** Words of [startS, endS) of the recording, with times on the recording's clock. */
  transcribeChunk(samples: Float32Array, sampleRate: number, startS: number, endS: number): Promise<Word[]>;
  /**
   * Speaker labels for the whole recording's words (one diarization over the whole file, so labels agree). Known
   * voices (profiles of `speakerModelId`) seed their speakers' clusters, so diarization and identification agree.
   */
  labelSpeakers(samples: Float32Array, sampleRate: number, words: Word[], known?: VoiceProfile[]): Promise<Word[]>;
}

export type Transcriber = QueuedTranscriber | ChunkedTranscriber;

/** Gives the stage its adapter: the one a job already uses (`previous`), or the configured one; null for none. */
export type TranscriberFactory = (previous?: TranscriberKind) => Promise<Transcriber | null>;
