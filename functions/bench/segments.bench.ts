/**
 * `npm run bench` (segments part): cleaning + grouping time for 100 k words (the linear-time requirement),
 * median of several runs. Writes bench-results/segments.json.
 */
import { writeBenchFigure } from "../test/support/benchFigures.js";
import { it } from "vitest";
import { cleanWords } from "../src/transcript/cleanWords.js";
import { groupWordsIntoSegments } from "../src/transcript/groupSegments.js";
import type { Word } from "../src/model/transcript.js";

function words(n: number): Word[] {
  let t = 0;
  return Array.from({ length: n }, (_, i) => {
    t += 0.25 + (i % 13 === 0 ? 2 : 0.05);
    return {
      text: ` word${i % 97} `,
      start: t,
      end: t + 0.2,
      speaker: i % 10 === 0 ? null : `SPEAKER_0${Math.floor(i / 9) % 3}`,
    };
  });
}

it("segment grouping time", async () => {
  const sizes = [10_000, 100_000, 200_000];
  const results: Record<string, unknown> = { benchmark: "segments" };
  for (const n of sizes) {
    const input = words(n);
    const times: number[] = [];
    let segments = 0;
    for (let run = 0; run < 7; run++) {
      const copy = input.map((w) => ({ ...w }));
      const t0 = performance.now();
      segments = groupWordsIntoSegments(cleanWords(copy)).length;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    results[`words_${n}`] = { medianMs: Number(times[3].toFixed(2)), minMs: Number(times[0].toFixed(2)), segments };
  }
  const ms = (n: number) => (results[`words_${n}`] as { medianMs: number }).medianMs;
  results.ratio200kTo100k = Number((ms(200_000) / ms(100_000)).toFixed(2));
  console.log(JSON.stringify(results, null, 2));
  await writeBenchFigure("segments.json", results, true);
});
