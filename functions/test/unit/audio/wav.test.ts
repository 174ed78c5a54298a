/** audio/wav.ts: reading a RIFF/WAVE header's format and exact duration. */
import { describe, expect, it } from "vitest";
import { parseWavHeader } from "../../../src/audio/wav.js";
import { makeWav } from "../../support/audio.js";

describe("parseWavHeader", () => {
  it("reads format and duration", () => {
    const info = parseWavHeader(makeWav({ seconds: 2.5, channels: 2, sampleRate: 44_100 }));
    expect(info).toMatchObject({ sampleRate: 44_100, channels: 2, bitsPerSample: 16 });
    expect(info!.durationS).toBeCloseTo(2.5, 5);
  });

  it("skips chunks before data and bounds a placeholder data size by the file size", () => {
    const wav = makeWav({ seconds: 1, channels: 1, sampleRate: 8000 });
    const list = Buffer.concat([
      Buffer.from("LIST"),
      Buffer.from([5, 0, 0, 0]),
      Buffer.from("INFOx"),
      Buffer.from([0]),
    ]);
    const withList = Buffer.concat([wav.subarray(0, 36), list, wav.subarray(36)]);
    withList.writeUInt32LE(0xffffffff, 36 + list.length + 4);
    const info = parseWavHeader(withList);
    expect(info!.dataBytes).toBe(16_000);
    expect(info!.durationS).toBeCloseTo(1, 5);
  });

  it("returns null for non-WAV data and a data chunk without fmt", () => {
    expect(parseWavHeader(Buffer.from("ID3\u0004 not a wav file at all"))).toBeNull();
    const noFmt = Buffer.concat([
      Buffer.from("RIFF"),
      Buffer.alloc(4),
      Buffer.from("WAVEdata"),
      Buffer.from([4, 0, 0, 0]),
      Buffer.alloc(4),
    ]);
    expect(parseWavHeader(noFmt)).toBeNull();
  });
});
