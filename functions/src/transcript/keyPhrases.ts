/**
 * Plain-text analysis for extractive summaries: sentences of a named transcript, and key phrases found as in RAKE
 * (Rose et al., 2010: candidate phrases are the runs of words between stopwords and punctuation). Scoring favours
 * what people keep coming back to: a word scores how often it occurs in candidates, a phrase the sum of its words
 * over the square root of its length (RAKE's degree/frequency prefers long one-off phrases, poor titles for talk).
 * Stopword lists come from `stopword`.
 */
import { deu, eng, fra, ita, nld, por, spa } from "stopword";

export interface Sentence {
  speaker: string;
  text: string;
  start: number;
}

/** A long unpunctuated segment (offline transcripts have no punctuation) is cut into pieces of this many words. */
const MAX_SENTENCE_WORDS = 25;

/** The transcript's sentences, each with its speaker: split at . ! ? and, without punctuation, every 25 words. */
export function sentencesOf(lines: { speaker: string; text: string; start: number }[]): Sentence[] {
  return lines.flatMap((line) =>
    line.text
      .split(/(?<=[.!?])\s+/)
      .flatMap((piece) => {
        const words = piece.trim().split(/\s+/).filter(Boolean);
        const chunks: string[] = [];
        for (let i = 0; i < words.length; i += MAX_SENTENCE_WORDS)
          chunks.push(words.slice(i, i + MAX_SENTENCE_WORDS).join(" "));
        return chunks;
      })
      .map((text) => ({ speaker: line.speaker, text, start: line.start })),
  );
}

const STOPWORDS: Record<string, string[]> = { en: eng, de: deu, fr: fra, es: spa, it: ita, pt: por, nl: nld };
/** Talk is full of words no written stopword list has; they make poor key phrases. */
const SPOKEN_FILLERS = (
  "yeah okay ok um uh oh hmm like just really gonna wanna got get know think mean right well sure yes " +
  "no thing things lot kind sort actually maybe good great say said going let's lets i'm it's that's " +
  "don't can't i'll we'll you're we're they're there's what's one also need want make so first last " +
  "next now today tomorrow yesterday week time day sounds put go when then"
).split(" ");

export interface KeyPhrase {
  phrase: string;
  score: number;
}

export function keyPhrases(text: string, language: string | null, maxWords = 4): KeyPhrase[] {
  const stop = new Set([...(STOPWORDS[language?.slice(0, 2) ?? "en"] ?? eng), ...SPOKEN_FILLERS]);
  const candidates: string[][] = [];
  for (const fragment of text.toLowerCase().split(/[.,;:!?()"\n]+/)) {
    let run: string[] = [];
    for (const word of fragment.match(/[\p{L}\p{N}']+/gu) ?? []) {
      if (stop.has(word) || word.length < 2 || /^\d+$/.test(word)) {
        if (run.length) candidates.push(run);
        run = [];
      } else run.push(word);
    }
    if (run.length) candidates.push(run);
  }
  const phrases = candidates.filter((c) => c.length <= maxWords);
  const frequency = new Map<string, number>();
  for (const phrase of phrases) for (const w of phrase) frequency.set(w, (frequency.get(w) ?? 0) + 1);
  const counts = new Map<string, { words: string[]; count: number }>();
  for (const phrase of phrases) {
    const key = phrase.join(" ");
    counts.set(key, { words: phrase, count: (counts.get(key)?.count ?? 0) + 1 });
  }
  return [...counts.entries()]
    .map(([phrase, { words }]) => ({
      phrase,
      score: words.reduce((s, w) => s + frequency.get(w)!, 0) / Math.sqrt(words.length),
    }))
    .sort((a, b) => b.score - a.score || b.phrase.length - a.phrase.length || a.phrase.localeCompare(b.phrase));
}
