/** The memory's `structured` field as the app parses it: what reprocessing (re-)extracts from the transcript. */
import { z } from "zod";

export const CATEGORIES = [
  "personal",
  "education",
  "health",
  "finance",
  "legal",
  "philosophy",
  "spiritual",
  "science",
  "entrepreneurship",
  "parenting",
  "romantic",
  "travel",
  "inspiration",
  "technology",
  "business",
  "social",
  "work",
  "sports",
  "politics",
  "literature",
  "history",
  "other",
] as const;
export type Category = (typeof CATEGORIES)[number];

export const actionItemSchema = z.strictObject({
  description: z.string().min(1).max(500),
  completed: z.boolean(),
});

export const eventSchema = z.strictObject({
  title: z.string().min(1).max(200),
  description: z.string().max(1000),
  /** ISO 8601 with an offset, e.g. 2026-11-27T15:00:00Z. */
  start: z.iso.datetime({ offset: true }),
  /** Minutes. */
  duration: z
    .number()
    .int()
    .min(1)
    .max(24 * 60),
  created: z.boolean(),
});

export const structuredSchema = z.strictObject({
  title: z.string().min(1).max(120),
  overview: z.string().min(1).max(2000),
  emoji: z.string().min(1).max(16),
  category: z.enum(CATEGORIES),
  action_items: z.array(actionItemSchema).max(20),
  events: z.array(eventSchema).max(10),
});
export type Structured = z.infer<typeof structuredSchema>;
export type ActionItem = z.infer<typeof actionItemSchema>;
export type MemoryEvent = z.infer<typeof eventSchema>;

/** One emoji per category, for extractors that do not pick their own. */
export const CATEGORY_EMOJI: Record<Category, string> = {
  personal: "🙂",
  education: "📚",
  health: "🩺",
  finance: "💰",
  legal: "⚖️",
  philosophy: "🤔",
  spiritual: "🕊️",
  science: "🔬",
  entrepreneurship: "🚀",
  parenting: "👶",
  romantic: "❤️",
  travel: "✈️",
  inspiration: "✨",
  technology: "💻",
  business: "💼",
  social: "🎉",
  work: "🛠️",
  sports: "⚽",
  politics: "🏛️",
  literature: "📖",
  history: "🏺",
  other: "🧠",
};
