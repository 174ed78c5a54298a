import { describe, expect, it } from "vitest";
import { sniffAudioFormat } from "../../src/audio/sniff.js";
import { parseWavHeader } from "../../src/audio/wav.js";
import { encodeAudio, makeWav } from "../support/audio.js";

describe("sniffAudioFormat", () => {
  const wav = makeWav({ seconds: 1, channels: 1, sampleRate: 16_000 });

  it("recognises WAV regardless of what the client called it", async () => {
    expect(await sniffAudioFormat(wav.subarray(0, 4100))).toEqual({ ext: "wav", contentType: "audio/wav" });
  });

  it.each([
    ["mp3", "mp3", "audio/mpeg"],
    ["m4a", "m4a", "audio/mp4"],
    ["ogg", "opus", "audio/ogg"],
    ["flac", "flac", "audio/flac"],
  ] as const)("recognises %s", async (codec, ext, contentType) => {
    const encoded = await encodeAudio(wav, codec);
    expect(await sniffAudioFormat(encoded.subarray(0, 4100))).toEqual({ ext, contentType });
  });

  it("rejects text, images, executables and tiny files", async () => {
    expect(await sniffAudioFormat(Buffer.from("RIFF hello, this is not audio at all".repeat(50)))).toBeNull();
    expect(await sniffAudioFormat(Buffer.concat([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), Buffer.alloc(100)]))).toBeNull();
    expect(await sniffAudioFormat(Buffer.concat([Buffer.from("7f454c46", "hex"), Buffer.alloc(100)]))).toBeNull();
    expect(await sniffAudioFormat(Buffer.from("RIFF"))).toBeNull();
  });
});

describe("parseWavHeader", () => {
  it("reads format and duration", () => {
    const info = parseWavHeader(makeWav({ seconds: 2.5, channels: 2, sampleRate: 44_100 }));
    expect(info).toMatchObject({ sampleRate: 44_100, channels: 2, bitsPerSample: 16 });
    expect(info!.durationS).toBeCloseTo(2.5, 5);
  });

  it("skips chunks before data and bounds a placeholder data size by the file size", () => {
    const wav = makeWav({ seconds: 1, channels: 1, sampleRate: 8000 });
    const list = Buffer.concat([Buffer.from("LIST"), Buffer.from([5, 0, 0, 0]), Buffer.from("INFOx"), Buffer.from([0])]);
    const withList = Buffer.concat([wav.subarray(0, 36), list, wav.subarray(36)]);
    withList.writeUInt32LE(0xffffffff, 36 + list.length + 4);
    const info = parseWavHeader(withList);
    expect(info!.dataBytes).toBe(16_000);
    expect(info!.durationS).toBeCloseTo(1, 5);
  });

  it("returns null for non-WAV data and a data chunk without fmt", () => {
    expect(parseWavHeader(Buffer.from("ID3\u0004 not a wav file at all"))).toBeNull();
    const noFmt = Buffer.concat([Buffer.from("RIFF"), Buffer.alloc(4), Buffer.from("WAVEdata"), Buffer.from([4, 0, 0, 0]), Buffer.alloc(4)]);
    expect(parseWavHeader(noFmt)).toBeNull();
  });
});
