/** audio/sniff.ts: recognising an upload's audio container from its first bytes. */
import { describe, expect, it } from "vitest";
import { sniffAudioFormat } from "../../../src/audio/sniff.js";
import { encodeAudio, makeWav } from "../../support/audio.js";

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
    expect(
      await sniffAudioFormat(
        Buffer.concat([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), Buffer.alloc(100)]),
      ),
    ).toBeNull();
    expect(await sniffAudioFormat(Buffer.concat([Buffer.from("7f454c46", "hex"), Buffer.alloc(100)]))).toBeNull();
    expect(await sniffAudioFormat(Buffer.from("RIFF"))).toBeNull();
  });
});
