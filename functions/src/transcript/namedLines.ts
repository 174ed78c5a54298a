/**
 * The transcript as models read it: one line per segment with who spoke by name. The user's turns carry the user's
 * name, known people's their names, everyone else "Speaker N" (numbered by first appearance).
 */
import type { TranscriptSegment } from "../model/transcript.js";

export interface NamedLine {
  speaker: string;
  text: string;
  /** Seconds from the start of the recording. */
  start: number;
}

export function namedLines(
  segments: TranscriptSegment[],
  names: { user: string; people: ReadonlyMap<string, string> },
): NamedLine[] {
  const others = new Map<string, string>();
  return segments
    .filter((s) => s.text.trim())
    .map((s) => {
      let speaker: string;
      if (s.is_user) speaker = names.user;
      else if (s.person_id && names.people.has(s.person_id)) speaker = names.people.get(s.person_id)!;
      else {
        if (!others.has(s.speaker)) others.set(s.speaker, `Speaker ${others.size + 1}`);
        speaker = others.get(s.speaker)!;
      }
      return { speaker, text: s.text.trim(), start: s.start };
    });
}
