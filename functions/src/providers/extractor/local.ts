/**
 * The offline extractor (the default without an OpenAI key). Extractive, and honest about it: nothing is generated,
 * every field is picked from the transcript by plain rules. Title: the most salient key phrases (RAKE scores);
 * overview: who spoke and the top-ranked sentences; action items: commitment and request sentences ("I will…", "can
 * you … by Thursday", "let's…"); events: real date/time expressions (chrono-node) in sentences about a meeting, call,
 * appointment…, resolved against when the conversation started; category: a keyword lexicon, else "other"; emoji:
 * the category's. The rules are English; other languages get key phrases and sentences only.
 */
import * as chrono from "chrono-node";
import {
  CATEGORY_EMOJI,
  type ActionItem,
  type Category,
  type MemoryEvent,
  type Structured,
} from "../../model/structured.js";
import { keyPhrases, sentencesOf, type Sentence } from "../../transcript/keyPhrases.js";
import type { Extraction, ExtractionRequest, Extractor } from "./types.js";

export const LOCAL_EXTRACTOR_MODEL = "local:extractive-v1";

const MAX_TITLE_CHARS = 60;
const MAX_OVERVIEW_SENTENCES = 3;
const MAX_ACTION_ITEMS = 10;
const DEFAULT_EVENT_MINUTES = 30;

export class LocalExtractor implements Extractor {
  readonly modelId = LOCAL_EXTRACTOR_MODEL;

  async extract(request: ExtractionRequest): Promise<Extraction> {
    return { structured: extractStructure(request), modelId: this.modelId, calls: [] };
  }
}

/** The whole extraction, pure. */
export function extractStructure(request: ExtractionRequest): Structured {
  const sentences = sentencesOf(request.lines);
  const text = sentences.map((s) => s.text).join(" ");
  const phrases = keyPhrases(text, request.language);
  const category = categorize(text);
  return {
    title: titleFrom(phrases, sentences),
    overview: overviewFrom(sentences, phrases, request),
    emoji: CATEGORY_EMOJI[category],
    category,
    action_items: actionItems(sentences, request.userName),
    events: events(sentences, request.startedAt),
  };
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const trimPunctuation = (s: string) => s.replace(/^[\s,;:-]+|[\s.,;:!?-]+$/g, "");
const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1).replace(/\s+\S*$/, "")}…`);

/** The best phrases, skipping any whose words an earlier pick already covers. */
function distinctPhrases(phrases: { phrase: string }[], max: number, maxChars = Infinity): string[] {
  const picked: string[] = [];
  for (const { phrase } of phrases) {
    const covered = picked.some((p) => phrase.split(" ").every((w) => p.split(" ").includes(w)) || p.includes(phrase));
    if (covered || picked.some((p) => phrase.includes(p))) continue;
    if ([...picked, phrase].join(" and ").length > maxChars) break;
    picked.push(phrase);
    if (picked.length === max) break;
  }
  return picked;
}

function titleFrom(phrases: { phrase: string }[], sentences: Sentence[]): string {
  const picked = distinctPhrases(phrases, 2, MAX_TITLE_CHARS);
  const title = picked.length ? picked.join(" and ") : (sentences[0]?.text ?? "Conversation");
  return clip(capitalize(trimPunctuation(title)), MAX_TITLE_CHARS) || "Conversation";
}

function overviewFrom(sentences: Sentence[], phrases: { phrase: string; score: number }[], request: ExtractionRequest) {
  const weight = new Map<string, number>();
  for (const { phrase, score } of phrases)
    for (const w of phrase.split(" ")) weight.set(w, Math.max(weight.get(w) ?? 0, score));
  const ranked = sentences
    .map((s, index) => {
      const words = s.text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
      const score = words.reduce((sum, w) => sum + (weight.get(w) ?? 0), 0) / Math.sqrt(Math.max(words.length, 1));
      return { s, index, score, words: words.length };
    })
    .filter((r) => r.words >= 4)
    .sort((a, b) => b.score - a.score)
    .slice(0, MAX_OVERVIEW_SENTENCES)
    .sort((a, b) => a.index - b.index);
  const speakers = [...new Set(request.lines.map((l) => l.speaker))];
  const who =
    speakers.length <= 1
      ? `${speakers[0] ?? "Someone"} talked`
      : `${speakers.slice(0, -1).join(", ")} and ${speakers.at(-1)!} talked`;
  const topics = distinctPhrases(phrases, 3);
  const intro = topics.length ? `${who} about ${topics.join(", ")}.` : `${who}.`;
  const quotes = (ranked.length ? ranked : sentences.slice(0, 1).map((s) => ({ s })))
    .map(({ s }) => `${capitalize(trimPunctuation(s.text))}.`)
    .join(" ");
  return clip(`${intro} ${quotes}`.trim(), 600);
}

/** Leading fillers a speaker says before the point ("okay so I will…"). */
const FILLER = String.raw`^(?:(?:ok(?:ay)?|so|and|yes|yeah|sure|right|well|alright|fine|then|also|oh)[,\s]+)*`;
const MODALS =
  String.raw`(?:'ll|'m going to|'re going to| will| am going to| are going to| need to| have to|` +
  String.raw` must| should)`;
const COMMITMENT = new RegExp(`${FILLER}(i|we)\\s*${MODALS}\\s+(.+)$`, "i");
const REQUEST = new RegExp(`${FILLER}(?:can|could|would|will) you(?: please)?\\s+(.+?)\\??$`, "i");
const SUGGESTION = new RegExp(`${FILLER}(?:let's|lets|let us)\\s+(.+)$`, "i");
const REMINDER = new RegExp(
  `${FILLER}(?:please|don't forget to|do not forget to|remember to|make sure to|make sure you)\\s+(.+)$`,
  "i",
);

/** Action items from commitments ("I will…"), requests ("can you…?"), suggestions ("let's…") and reminders. */
export function actionItems(sentences: Sentence[], userName: string): ActionItem[] {
  const items: string[] = [];
  for (const { text, speaker } of sentences) {
    const sentence = trimPunctuation(text);
    const byUser = speaker === userName;
    let description: string | null = null;
    const commitment = COMMITMENT.exec(sentence);
    const request = REQUEST.exec(sentence);
    const suggestion = SUGGESTION.exec(sentence);
    const reminder = REMINDER.exec(sentence);
    if (commitment) {
      const [, who, what] = commitment;
      description = byUser || who.toLowerCase() === "we" ? capitalize(what) : `${speaker} will ${what}`;
    } else if (request) {
      description = byUser ? `Follow up: asked to ${request[1]}` : capitalize(request[1]);
    } else if (suggestion) {
      description = capitalize(suggestion[1]);
    } else if (reminder) {
      description = capitalize(reminder[1]);
    }
    if (!description) continue;
    description = clip(trimPunctuation(description), 200);
    if (description.split(/\s+/).length < 2 || items.some((i) => i.toLowerCase() === description.toLowerCase()))
      continue;
    items.push(description);
    if (items.length === MAX_ACTION_ITEMS) break;
  }
  return items.map((description) => ({ description, completed: false }));
}

const EVENT_WORDS =
  /\b(meet(?:ing)?|call|appointment|lunch|dinner|breakfast|coffee|interview|party|flight|class|session|review|demo|presentation|deadline|visit|doctor|dentist|conference|workshop|standup|stand-up|sync|catch up|wedding|birthday|game|match|concert|trip)\b/i;

/** Events: a real date or time expression in a sentence about something scheduled, resolved against the start. */
export function events(sentences: Sentence[], startedAt: Date): MemoryEvent[] {
  const found: MemoryEvent[] = [];
  for (const { text } of sentences) {
    const noun = EVENT_WORDS.exec(text);
    if (!noun) continue;
    const [parsed] = chrono.parse(text, startedAt, { forwardDate: true });
    if (!parsed) continue;
    const datedDay = ["day", "weekday"].some((c) => parsed.start.isCertain(c as chrono.Component));
    if (!datedDay && !parsed.start.isCertain("hour")) continue;
    const start = parsed.start.date();
    const minutes = parsed.end ? Math.round((parsed.end.date().getTime() - start.getTime()) / 60_000) : 0;
    const rest = trimPunctuation(text.replace(parsed.text, " ").replace(/\s+/g, " "));
    const [topic] = keyPhrases(rest, "en");
    const title = clip(capitalize(topic?.phrase.includes(noun[1].toLowerCase()) ? topic.phrase : noun[1]), 80);
    found.push({
      title,
      description: clip(trimPunctuation(text), 300),
      start: start.toISOString(),
      duration: minutes > 0 && minutes <= 24 * 60 ? minutes : DEFAULT_EVENT_MINUTES,
      created: false,
    });
    if (found.length === 5) break;
  }
  return found;
}

/** Words that point to a category; a category needs two hits to beat "other". */
const LEXICON: Partial<Record<Category, string[]>> = {
  work: [
    "project",
    "deadline",
    "meeting",
    "client",
    "team",
    "manager",
    "report",
    "release",
    "sprint",
    "office",
    "colleague",
  ],
  business: ["customer", "sales", "revenue", "market", "budget", "contract", "pricing", "deal", "company", "profit"],
  technology: [
    "software",
    "app",
    "code",
    "computer",
    "server",
    "bug",
    "api",
    "data",
    "ai",
    "phone",
    "crash",
    "database",
  ],
  health: ["doctor", "health", "pain", "sleep", "exercise", "medicine", "hospital", "diet", "symptom", "therapy"],
  finance: ["money", "bank", "invest", "stock", "loan", "tax", "savings", "mortgage", "credit", "expenses"],
  education: ["school", "class", "course", "exam", "teacher", "student", "homework", "university", "lecture", "study"],
  travel: ["flight", "trip", "hotel", "airport", "vacation", "travel", "passport", "train", "beach", "visa"],
  sports: ["game", "match", "team", "score", "training", "football", "soccer", "basketball", "tennis", "run"],
  politics: ["country", "government", "election", "vote", "president", "policy", "citizens", "nation", "congress"],
  parenting: ["kids", "child", "children", "daughter", "son", "baby", "school", "parents"],
  romantic: ["love", "date", "boyfriend", "girlfriend", "relationship", "anniversary", "husband", "wife"],
  social: ["party", "friends", "dinner", "drinks", "birthday", "wedding", "weekend", "hang"],
  science: ["research", "experiment", "theory", "physics", "biology", "chemistry", "study", "scientist"],
  legal: ["lawyer", "court", "law", "legal", "lawsuit", "contract", "judge", "attorney"],
  entrepreneurship: ["startup", "founder", "investors", "funding", "pitch", "launch", "product"],
  literature: ["book", "novel", "author", "poem", "story", "reading", "chapter"],
  history: ["history", "war", "century", "ancient", "empire", "historical"],
  philosophy: ["meaning", "ethics", "philosophy", "truth", "consciousness", "moral"],
  spiritual: ["god", "pray", "faith", "church", "meditation", "spiritual", "soul"],
  inspiration: ["dream", "inspire", "goal", "motivation", "believe", "achieve"],
  personal: ["family", "home", "mom", "dad", "feel", "myself", "life"],
};

export function categorize(text: string): Category {
  const words = text.toLowerCase().match(/[\p{L}']+/gu) ?? [];
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  let best: { category: Category; hits: number } = { category: "other", hits: 1 };
  for (const [category, keywords] of Object.entries(LEXICON) as [Category, string[]][]) {
    const hits = keywords.reduce((n, k) => n + (counts.get(k) ?? 0) + (counts.get(`${k}s`) ?? 0), 0);
    if (hits > best.hits) best = { category, hits };
  }
  return best.category;
}
