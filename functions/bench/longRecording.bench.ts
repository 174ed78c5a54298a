/**
 * `npm run bench` (long recordings): `identify`'s speaker embedding on a 3-hour recording, streamed as the stage
 * streams it from Storage: wall time and the process's peak memory, next to what loading the whole recording would
 * take. Writes bench-results/long-recording.json. Figures only.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { it } from "vitest";
import { BaselineSpeakerEmbedder } from "../src/providers/speakerEmbedder/baseline.js";
import { embedSpeakers, MAX_SPEECH_PER_SPEAKER_S } from "../src/stages/identify.js";
import type { TranscriptSegment } from "../src/model/transcript.js";

const RATE = 16_000;
const HOURS = 3;
const TURN_S = 5;

/** A WAV stream of HOURS of two alternating "voices" (harmonic tones at different pitches, syllable-rate envelope). */
function longWav(): Readable {
  const total = HOURS * 3600 * RATE;
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + total * 2, 4);
  header.write("WAVEfmt ", 8, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(total * 2, 40);
  let at = 0;
  const chunk = RATE; // one second per chunk
  return Readable.from(
    (function* () {
      yield header;
      while (at < total) {
        const n = Math.min(chunk, total - at);
        const buf = Buffer.alloc(n * 2);
        for (let i = 0; i < n; i++) {
          const t = (at + i) / RATE;
          const f0 = Math.floor(t / TURN_S) % 2 ? 210 : 105;
          const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
          const v =
            0.3 *
            env *
            (Math.sin(2 * Math.PI * f0 * t) +
              0.5 * Math.sin(4 * Math.PI * f0 * t) +
              0.25 * Math.sin(6 * Math.PI * f0 * t));
          buf.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v)) * 32767), 2 * i);
        }
        at += n;
        yield buf;
      }
    })(),
  );
}

it("identify's embedding of a 3-hour recording", { timeout: 900_000 }, async () => {
  const segments: TranscriptSegment[] = [];
  for (let t = 0, i = 0; t < HOURS * 3600; t += TURN_S, i++) {
    segments.push({
      text: "x",
      speaker: `SPEAKER_0${i % 2}`,
      speaker_id: i % 2,
      is_user: false,
      person_id: null,
      start: t,
      end: t + TURN_S - 0.2,
    });
  }
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  const embeddings = await embedSpeakers(segments, longWav(), new BaselineSpeakerEmbedder());
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const result = {
    what: "identify's per-speaker embedding of a streamed 3-hour 16 kHz recording (two speakers, 5 s turns)",
    recordingSeconds: HOURS * 3600,
    segments: segments.length,
    speakersEmbedded: embeddings.size,
    speechEmbeddedPerSpeakerSeconds: MAX_SPEECH_PER_SPEAKER_S,
    wallMs: Math.round(ms),
    peakRssOverStartMiB: Math.round((peak - baseline) / 2 ** 20),
    wholeRecordingAsFloat32MiB: Math.round((HOURS * 3600 * RATE * 4) / 2 ** 20),
    wholeRecordingAsWavMiB: Math.round((HOURS * 3600 * RATE * 2) / 2 ** 20),
  };
  console.log(JSON.stringify(result, null, 2));
  await mkdir(new URL("../../bench-results/", import.meta.url), { recursive: true });
  await writeFile(
    new URL("../../bench-results/long-recording.json", import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  );
});
