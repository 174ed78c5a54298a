/**
 * Held-out espeak-ng voices and sentences (bench diarization `heldOut`): no constant in speaker/cluster.ts was tuned on
 * them. None of these variants is in voices.ts (DISTINCT_VOICES, SAME_PITCH_VOICES) or in speaker.bench.ts's
 * BACKGROUND, and no sentence is in CONVERSATION_SENTENCES. Six voices spread over the pitch range like the tuned
 * distinct six: median F0 about 85, 124, 160, 204, 235 and 290 Hz (speaker/features.ts pitchTrack, espeak-ng 1.51).
 */
import type { Voice } from "./voices.js";

export const HELD_OUT_VOICES: Voice[] = [
  { voice: "en+quincy", pitch: 50 },
  { voice: "en-gb-x-rp", pitch: 70 },
  { voice: "en+croak", pitch: 90 },
  { voice: "en+belinda", pitch: 40 },
  { voice: "en+steph2", pitch: 70 },
  { voice: "en+linda", pitch: 70 },
];

export const HELD_OUT_SENTENCES = [
  "The library downstairs is closed for repairs until the end of the month.",
  "Could you pick up some milk and a loaf of bread on your way home?",
  "I moved the meeting with the accountant to Tuesday morning at ten.",
  "The kids spent the whole afternoon building a fort out of old boxes.",
  "Our flight leaves very early, so we should pack everything tonight.",
  "She plays the violin in a small orchestra that rehearses on Sundays.",
  "The printer on the second floor keeps jamming whenever anyone uses it.",
  "Let me know if the new schedule works for the rest of your group.",
  "We planted tomatoes and beans along the fence behind the garage.",
  "The bus driver waited for the old man to find a seat before leaving.",
  "I have been reading a long novel about a family of lighthouse keepers.",
  "Someone left a blue jacket in the conference room after the workshop.",
  "The soup needs more salt and perhaps a little bit of pepper as well.",
  "He trains for the city marathon by running along the canal each morning.",
  "The electricity went out for an hour during the storm last night.",
  "Remember that the shop closes early on public holidays and Saturdays.",
];
