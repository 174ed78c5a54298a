/** providers/emotion/userAudio.ts: the user's speech cut out, joined, split into requests, and mapped back. */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { encodeWavSamples } from "../../../../src/audio/pcm.js";
import { parseWavHeader } from "../../../../src/audio/wav.js";
import { toRecordingTime, userAudioRequests } from "../../../../src/providers/emotion/userAudio.js";
import { segmentOf } from "../../../support/transcripts.js";

const RATE = 16_000;
const wav = encodeWavSamples(new Float32Array(20 * RATE).fill(0.1), RATE);
const seg = (start: number, end: number) => ({
  ...segmentOf("x", start, { speaker: "SPEAKER_00", isUser: true }),
  end,
});

describe("userAudioRequests", () => {
  it("joins the user's segments with short silences and maps request time back to the recording", async () => {
    const [request, ...rest] = await userAudioRequests(Readable.from([wav]), [seg(1, 3), seg(10, 11)], 25_000_000);
    expect(rest).toEqual([]);
    expect(request.seconds).toBeCloseTo(2 + 0.3 + 1, 3);
    expect(parseWavHeader(request.wav)!.durationS).toBeCloseTo(3.3, 3);
    expect(toRecordingTime(request.placements, 0.5)).toBeCloseTo(1.5);
    expect(toRecordingTime(request.placements, 2.15)).toBeNull(); // the joining silence
    expect(toRecordingTime(request.placements, 2.8)).toBeCloseTo(10.5);
  });

  it("splits into requests under the size limit, cutting a segment that is alone too long", async () => {
    const maxBytes = 44 + 2 * 4 * RATE; // 4 s per request
    const requests = await userAudioRequests(Readable.from([wav]), [seg(0, 3), seg(5, 15)], maxBytes);
    for (const r of requests) expect(r.wav.length).toBeLessThanOrEqual(maxBytes);
    expect(requests.reduce((n, r) => n + r.placements.reduce((k, p) => k + p.length, 0), 0)).toBeCloseTo(13, 3);
    const starts = requests.flatMap((r) => r.placements.map((p) => p.start));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });
});
