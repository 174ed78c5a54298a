/** The job's progress as the app shows it, and the measured speed of the stages it is estimated from. */

export interface Progress {
  phase: string;
  /** 0–100; 100 only once the job has ended. */
  percent: number;
  /** Seconds until the job completes, at the speed of earlier jobs; null while the audio's length is unknown. */
  eta_seconds: number | null;
}

/** Typical work per stage: fixed milliseconds plus milliseconds per second of audio. */
export type StageSpeed = { fixedMs: number; msPerAudioSecond: number };
/** Per stage name (pipeline/definition.ts). */
export type Speed = Partial<Record<string, StageSpeed>>;
