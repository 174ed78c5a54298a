/** Transcripts with known content, as identify leaves them on the memory. */
import type { TranscriptSegment } from "../../src/model/transcript.js";

export const segmentOf = (
  text: string,
  start: number,
  who: { speaker: string; isUser?: boolean; personId?: string | null },
): TranscriptSegment => ({
  text,
  speaker: who.speaker,
  speaker_id: Number(who.speaker.slice(-2)),
  is_user: who.isUser ?? false,
  person_id: who.personId ?? null,
  start,
  end: start + 4,
});

/** A planning conversation between the user (SPEAKER_00) and a known person (SPEAKER_01, `personId`). */
export function planningTranscript(personId: string | null): TranscriptSegment[] {
  const user = { speaker: "SPEAKER_00", isUser: true };
  const person = { speaker: "SPEAKER_01", personId };
  return [
    segmentOf("I think we should start the mobile release project next week if the budget is approved.", 0, person),
    segmentOf("That sounds reasonable, but we need to check the release budget with the design team first.", 5, user),
    segmentOf("Can you send me the numbers from the customer survey by Thursday?", 10, person),
    segmentOf("Sure, I will put them in a short report with the most important findings.", 15, user),
    segmentOf("Let's have a review meeting on Friday at 3pm to go through the report.", 20, person),
  ];
}
