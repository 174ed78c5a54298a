/** speaker/features.ts: the pure-TS acoustic front end (FFT, log-mel filterbank, MFCC, pitch). */
import { describe, expect, it } from "vitest";
import { decodeWavSamples } from "../../../src/audio/pcm.js";
import { NUM_MEL_BINS, fbank, fft, mfcc, pitchTrack, powerSpectrum } from "../../../src/speaker/features.js";
import { speak } from "../../support/speech.js";

const SR = 16_000;

function tone(hz: number, seconds: number, harmonics = 1): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * SR) }, (_, i) => {
    let v = 0;
    for (let h = 1; h <= harmonics; h++) v += Math.sin((2 * Math.PI * hz * h * i) / SR) / h;
    return 0.3 * v;
  });
}

const median = (values: Float32Array | number[]) => {
  const sorted = Array.from(values).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

describe("fft", () => {
  it("puts a whole-cycle sine in exactly its bin, with magnitude N/2", () => {
    const n = 64;
    const re = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 5 * i) / n));
    const im = new Float64Array(n);
    fft(re, im);
    const magnitude = Array.from(re, (r, k) => Math.hypot(r, im[k]));
    expect(magnitude[5]).toBeCloseTo(n / 2, 9);
    expect(magnitude[n - 5]).toBeCloseTo(n / 2, 9);
    expect(magnitude.filter((_, k) => k !== 5 && k !== n - 5).every((m) => m < 1e-9)).toBe(true);
  });

  it("matches a direct DFT on arbitrary input", () => {
    const n = 32;
    let seed = 7;
    const x = Array.from({ length: n }, () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5);
    const re = Float64Array.from(x);
    const im = new Float64Array(n);
    fft(re, im);
    for (let k = 0; k < n; k++) {
      let dr = 0;
      let di = 0;
      for (let t = 0; t < n; t++) {
        dr += x[t] * Math.cos((2 * Math.PI * k * t) / n);
        di -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
      }
      expect(re[k]).toBeCloseTo(dr, 9);
      expect(im[k]).toBeCloseTo(di, 9);
    }
  });

  it("refuses lengths that are not powers of two", () => {
    expect(() => fft(new Float64Array(48), new Float64Array(48))).toThrow(/power of two/);
  });

  it("powerSpectrum peaks at the bin of a 1 kHz tone", () => {
    const power = powerSpectrum(tone(1000, 512 / SR), 512);
    expect(power.length).toBe(257);
    expect(power.indexOf(Math.max(...power))).toBe(32); // 1000 Hz / (16000 Hz / 512)
  });
});

describe("fbank and mfcc", () => {
  it("gives one 80-value frame per 10 ms (whole 25 ms frames only), all finite, silence included", () => {
    const samples = new Float32Array(SR); // 1 s of digital silence
    samples.set(tone(440, 0.5), 0);
    const frames = fbank(samples, SR);
    expect(frames.length).toBe(98); // 1 + floor((16000 - 400) / 160)
    expect(frames.every((f) => f.length === NUM_MEL_BINS && f.every(Number.isFinite))).toBe(true);
    expect(fbank(new Float32Array(399), SR)).toEqual([]);
  });

  it("puts a tone's energy in a low mel bin for a low tone and a high bin for a high tone", () => {
    const peakBin = (hz: number) => {
      const frame = fbank(tone(hz, 0.1), SR)[3];
      return frame.indexOf(Math.max(...frame));
    };
    expect(peakBin(300)).toBeLessThan(peakBin(1000));
    expect(peakBin(1000)).toBeLessThan(peakBin(4000));
    expect(peakBin(4000)).toBeLessThan(NUM_MEL_BINS);
  });

  it("maps a flat log-mel frame to c0 only", () => {
    const [ceps] = mfcc([new Float32Array(NUM_MEL_BINS).fill(2)], 13);
    expect(ceps[0]).toBeCloseTo(2 * Math.sqrt(NUM_MEL_BINS), 4);
    expect(Array.from(ceps.subarray(1)).every((c) => Math.abs(c) < 1e-4)).toBe(true);
  });
});

describe("pitchTrack", () => {
  it("finds 200 Hz in a harmonic tone, in every frame, one value per fbank frame", () => {
    const samples = tone(200, 1, 4);
    const f0 = pitchTrack(samples, SR);
    expect(f0.length).toBe(fbank(samples, SR).length);
    expect(f0.every((f) => Math.abs(f - 200) < 2)).toBe(true);
  });

  it("finds 120 Hz and 330 Hz too, and calls silence and white noise unvoiced", () => {
    expect(median(pitchTrack(tone(120, 0.5, 3), SR))).toBeCloseTo(120, 0);
    expect(median(pitchTrack(tone(330, 0.5, 3), SR))).toBeCloseTo(330, 0);
    expect(pitchTrack(new Float32Array(SR / 2), SR).every((f) => f === 0)).toBe(true);
    let seed = 1;
    const noise = Float32Array.from({ length: SR / 2 }, () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5);
    const voicedNoise = pitchTrack(noise, SR).filter((f) => f > 0).length;
    expect(voicedNoise).toBeLessThan(5);
  });

  it("hears the espeak voices en-us at about 100 Hz and en+f3 at about 200 Hz", async () => {
    const text = "We went hiking in the mountains with some friends.";
    const voicedMedian = async (voice: string) =>
      median(Array.from(pitchTrack(decodeWavSamples(await speak(text, voice)).samples, SR)).filter((f) => f > 0));
    const [low, high] = await Promise.all([voicedMedian("en-us"), voicedMedian("en+f3")]);
    expect(low).toBeGreaterThan(85);
    expect(low).toBeLessThan(120);
    expect(high).toBeGreaterThan(175);
    expect(high).toBeLessThan(230);
  });
});
