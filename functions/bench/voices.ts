/**
 * The voices and sentences the benches generate conversations from: espeak-ng variants at set pitches, so every run
 * speaks the same audio. Median F0 measured with speaker/features.ts pitchTrack, espeak-ng 1.51.
 */
export type Voice = { voice: string; pitch: number };
export const voiceName = (v: Voice) => `${v.voice}/p${v.pitch}`;

/**
 * Eight voices of different pitch and formant variant, spread over the pitch range: the first six at about 86, 116,
 * 143, 186, 240 and 300 Hz.
 */
export const DISTINCT_VOICES: Voice[] = [
  { voice: "en-us", pitch: 25 },
  { voice: "en+m2", pitch: 60 },
  { voice: "en+f4", pitch: 25 },
  { voice: "en+f1", pitch: 50 },
  { voice: "en+f5", pitch: 62 },
  { voice: "en+f3", pitch: 85 },
  { voice: "en-us+m7", pitch: 40 },
  { voice: "en+m4", pitch: 10 },
];

/**
 * Six voices of one pitch setting (F0 within about 5 % of each other) and different formant variants, listed in pairs
 * of the same pitch: what a pitch cue cannot separate.
 */
export const SAME_PITCH_VOICES: Voice[] = [
  { voice: "en-us", pitch: 50 },
  { voice: "en-us+m3", pitch: 50 },
  { voice: "en+m2", pitch: 50 },
  { voice: "en-gb", pitch: 50 },
  { voice: "en+f1", pitch: 50 },
  { voice: "en+f4", pitch: 50 },
];

/** Everyday sentences the conversations are cut from. */
export const CONVERSATION_SENTENCES = [
  "I think we should start the project next week if the budget is approved.",
  "That sounds reasonable, but we need to check with the design team first.",
  "The last release had a few problems with the mobile application.",
  "Yes, the crash reports came mostly from older phones running out of memory.",
  "Can you send me the numbers from the customer survey before Friday?",
  "Sure, I will put them in a short report with the most important findings.",
  "We also need to decide where the team dinner is going to be this month.",
  "There is a new place near the station that everyone keeps talking about.",
  "Let us book a table for twelve people on Thursday evening then.",
  "Good, and remind me to call the landlord about the heating in the office.",
  "My sister is coming to visit us next month with her two children.",
  "The train was late again this morning because of the snow.",
  "If it rains tomorrow we can move the meeting inside and order some pizza.",
  "We went hiking in the mountains with some friends over the weekend.",
  "Honestly I would rather stay at home and read a good book.",
  "The doctor said I should walk at least thirty minutes every day.",
];
