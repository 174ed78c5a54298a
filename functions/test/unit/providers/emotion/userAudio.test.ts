/** providers/emotion/userAudio.ts: the user's speech planned into requests, spread, built one at a time. */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { encodeWavSamples } from "../../../../src/audio/pcm.js";
import { parseWavHeader } from "../../../../src/audio/wav.js";
import {
  buildRequest,
  GAP_S,
  planUserAudio,
  spreadSelection,
  toRecordingTime,
} from "../../../../src/providers/emotion/userAudio.js";

const RATE = 16_000;
const wav = encodeWavSamples(new Float32Array(20 * RATE).fill(0.1), RATE);
const seg = (start: number, end: number) => ({ start, end });
const bytesFor = (seconds: number) => 44 + 2 * seconds * RATE;

describe("planUserAudio and buildRequest", () => {
  it("joins the user's segments with short silences and maps request time back to the recording", async () => {
    const [planned, ...rest] = planUserAudio([seg(1, 3), seg(10, 11)], { maxBytes: 25_000_000, maxSeconds: 3600 });
    expect(rest).toEqual([]);
    const request = await buildRequest(Readable.from([wav]), planned);
    expect(request.seconds).toBeCloseTo(2 + GAP_S + 1, 3);
    expect(parseWavHeader(request.wav)!.durationS).toBeCloseTo(3.3, 3);
    expect(toRecordingTime(request.placements, 0.5)).toBeCloseTo(1.5);
    expect(toRecordingTime(request.placements, 2.15)).toBeNull(); // the joining silence
    expect(toRecordingTime(request.placements, 2.8)).toBeCloseTo(10.5);
  });

  it("splits into requests under the size limit, cutting a segment that is alone too long", async () => {
    const maxBytes = bytesFor(4);
    const plan = planUserAudio([seg(0, 3), seg(5, 15)], { maxBytes, maxSeconds: 3600 });
    const requests = await Promise.all(plan.map((p) => buildRequest(Readable.from([wav]), p)));
    for (const r of requests) expect(r.wav.length).toBeLessThanOrEqual(maxBytes);
    expect(plan.reduce((n, r) => n + r.speechSeconds, 0)).toBeCloseTo(13, 3);
    const starts = requests.flatMap((r) => r.placements.map((p) => p.start));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it("plans a 3-hour conversation from times alone, capped and spread over the whole of it", () => {
    // The user speaks 5 s of every 10 s for three hours: 5400 s of speech.
    const segments = Array.from({ length: 1080 }, (_, i) => seg(i * 10, i * 10 + 5));
    const plan = planUserAudio(segments, { maxBytes: 25_000_000 - 4096, maxSeconds: 1800 });
    const speech = plan.reduce((n, r) => n + r.speechSeconds, 0);
    expect(speech).toBeLessThanOrEqual(1800);
    expect(speech).toBeGreaterThan(1790);
    const starts = plan.flatMap((r) => r.placements.map((p) => p.start));
    expect(Math.min(...starts)).toBeLessThan(60);
    expect(Math.max(...starts)).toBeGreaterThan(3 * 3600 - 120);
    // At most 25 MB each: about 13 minutes of 16 kHz speech per request.
    for (const r of plan) expect(44 + 2 * Math.round(r.seconds * RATE)).toBeLessThanOrEqual(25_000_000 - 4096);
    expect(plan).toHaveLength(3);
  });
});

describe("spreadSelection", () => {
  it("keeps everything under the cap, and a stride over the whole span above it", () => {
    const segments = Array.from({ length: 100 }, (_, i) => seg(i * 10, i * 10 + 2));
    expect(spreadSelection(segments, 500)).toBe(segments);
    const kept = spreadSelection(segments, 50);
    expect(kept.reduce((n, s) => n + s.end - s.start, 0)).toBe(50);
    expect(kept[0].start).toBeLessThan(100);
    expect(kept.at(-1)!.start).toBeGreaterThan(800);
  });
});
