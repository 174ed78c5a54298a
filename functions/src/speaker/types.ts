/**
 * Speaker embeddings: a fixed-size vector per stretch of speech, compared with cosine similarity. Used by local
 * diarization (clustering) and by speaker identification against enrolled profiles.
 */
export interface SpeakerEmbedder {
  /** Identifies the model; embeddings from different models are never compared. */
  readonly modelId: string;
  readonly dimension: number;
  /** Embeds 16 kHz mono samples in [-1, 1]. Returns null when there is too little voiced audio to say anything. */
  embed(samples: Float32Array): Promise<Float32Array | null>;
}

export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
