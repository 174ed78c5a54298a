/** What every transcriber produces: words with timings (seconds) and, when diarized, a speaker label. */

export interface TranscribedWord {
  text: string;
  start: number;
  end: number;
  /** Diarization label such as "SPEAKER_00", or null when unknown. */
  speaker: string | null;
  confidence?: number;
}

export interface Transcript {
  words: TranscribedWord[];
  language: string | null;
  /** Which adapter and model produced it, e.g. "fal-ai/whisper" or "local/pocketsphinx+silero". */
  model: string;
}

/** A speech region found by voice activity detection (seconds). */
export interface SpeechRegion {
  start: number;
  end: number;
}

/** A diarization turn: who spoke when. */
export interface SpeakerTurn {
  start: number;
  end: number;
  speaker: string;
}
