/**
 * Pure-TS acoustic front end: Kaldi-style log-mel filterbank (what wespeaker-style ONNX speaker models take as input),
 * MFCCs derived from it, and a YIN pitch tracker whose frames line up with the filterbank's.
 */

export const FRAME_LENGTH_S = 0.025;
export const FRAME_SHIFT_S = 0.01;
export const NUM_MEL_BINS = 80;
const PRE_EMPHASIS = 0.97;
/** Kaldi floors mel energies at FLT_EPSILON before the log so silence gives a finite value. */
const ENERGY_FLOOR = 1.1920929e-7;

export interface FrameLayout {
  length: number;
  shift: number;
  count: number;
}

/** Kaldi's snip_edges framing: only whole frames, the first starting at sample 0. */
export function frameLayout(numSamples: number, sampleRate: number): FrameLayout {
  const length = Math.round(FRAME_LENGTH_S * sampleRate);
  const shift = Math.round(FRAME_SHIFT_S * sampleRate);
  const count = numSamples < length ? 0 : 1 + Math.floor((numSamples - length) / shift);
  return { length, shift, count };
}

export function hammingWindow(length: number): Float64Array {
  const w = new Float64Array(length);
  for (let i = 0; i < length; i++) w[i] = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (length - 1));
  return w;
}

/**
 * Twiddle factors and bit-reversal permutation per FFT size, computed once: the same sizes are used for every frame.
 */
const fftTables = new Map<number, { cos: Float64Array; sin: Float64Array; reversed: Uint32Array }>();

function tablesFor(n: number) {
  let tables = fftTables.get(n);
  if (!tables) {
    const cos = new Float64Array(n / 2);
    const sin = new Float64Array(n / 2);
    for (let k = 0; k < n / 2; k++) {
      cos[k] = Math.cos((2 * Math.PI * k) / n);
      sin[k] = -Math.sin((2 * Math.PI * k) / n);
    }
    const bits = Math.log2(n);
    const reversed = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      reversed[i] = r;
    }
    tables = { cos, sin, reversed };
    fftTables.set(n, tables);
  }
  return tables;
}

/** In-place iterative radix-2 FFT (forward, unnormalized). Length must be a power of two. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if (n === 0 || (n & (n - 1)) !== 0 || im.length !== n) throw new Error(`FFT length must be a power of two, got ${n}`);
  const { cos, sin, reversed } = tablesFor(n);
  for (let i = 0; i < n; i++) {
    const j = reversed[i];
    if (j > i) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= n; size *= 2) {
    const half = size / 2;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sin[k * step];
        const a = start + k;
        const b = a + half;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] = re[a] + tr;
        im[a] = im[a] + ti;
      }
    }
  }
}

/** |X[k]|² for k = 0..n/2 of a real signal zero-padded to n. */
export function powerSpectrum(signal: ArrayLike<number>, n: number): Float64Array {
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < Math.min(n, signal.length); i++) re[i] = signal[i]!;
  fft(re, im);
  const power = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) power[k] = re[k] * re[k] + im[k] * im[k];
  return power;
}

const mel = (hz: number) => 1127 * Math.log(1 + hz / 700);

/** Triangular filters equally spaced on Kaldi's mel scale from 20 Hz to Nyquist, over FFT bins 0..n/2-1 (as Kaldi). */
function melFilters(numBins: number, fftSize: number, sampleRate: number): Float64Array[] {
  const low = mel(20);
  const delta = (mel(sampleRate / 2) - low) / (numBins + 1);
  return Array.from({ length: numBins }, (_, b) => {
    const [left, center, right] = [low + b * delta, low + (b + 1) * delta, low + (b + 2) * delta];
    const weights = new Float64Array(fftSize / 2);
    for (let k = 0; k < fftSize / 2; k++) {
      const m = mel((k * sampleRate) / fftSize);
      if (m > left && m < right)
        weights[k] = m <= center ? (m - left) / (center - left) : (right - m) / (right - center);
    }
    return weights;
  });
}

const melFilterCache = new Map<string, Float64Array[]>();

/**
 * Log-mel filterbank, one Float32Array of 80 values per 25 ms frame every 10 ms, computed like Kaldi's `fbank`
 * (per-frame DC removal, pre-emphasis 0.97, Hamming window as wespeaker configures it, power spectrum, no dither).
 * Kaldi-trained models expect samples scaled to int16 range; that only adds a constant to every log value (above the
 * energy floor), which the per-utterance mean normalization wespeaker applies before its model removes, so samples in
 * [-1, 1] are fine here.
 */
export function fbank(samples: Float32Array, sampleRate: number, numMelBins = NUM_MEL_BINS): Float32Array[] {
  const { length, shift, count } = frameLayout(samples.length, sampleRate);
  const fftSize = 2 ** Math.ceil(Math.log2(length));
  const key = `${numMelBins}/${fftSize}/${sampleRate}`;
  const filters = melFilterCache.get(key) ?? melFilters(numMelBins, fftSize, sampleRate);
  melFilterCache.set(key, filters);
  const window = hammingWindow(length);
  const frame = new Float64Array(length);
  const frames: Float32Array[] = [];
  for (let f = 0; f < count; f++) {
    let mean = 0;
    for (let i = 0; i < length; i++) mean += samples[f * shift + i];
    mean /= length;
    for (let i = 0; i < length; i++) frame[i] = samples[f * shift + i] - mean;
    for (let i = length - 1; i > 0; i--) frame[i] = frame[i] - PRE_EMPHASIS * frame[i - 1];
    frame[0] = frame[0] * (1 - PRE_EMPHASIS);
    for (let i = 0; i < length; i++) frame[i] = frame[i] * window[i];
    const power = powerSpectrum(frame, fftSize);
    const out = new Float32Array(numMelBins);
    for (let b = 0; b < numMelBins; b++) {
      const weights = filters[b];
      let energy = 0;
      for (let k = 0; k < weights.length; k++) energy += weights[k] * power[k];
      out[b] = Math.log(Math.max(energy, ENERGY_FLOOR));
    }
    frames.push(out);
  }
  return frames;
}

/** MFCCs c0..c(numCeps-1): orthonormal DCT-II of each log-mel frame. */
export function mfcc(logMel: Float32Array[], numCeps: number): Float32Array[] {
  const bins = logMel[0]?.length ?? 0;
  const basis = Array.from({ length: numCeps }, (_, c) => {
    const scale = Math.sqrt((c === 0 ? 1 : 2) / bins);
    return Float64Array.from({ length: bins }, (_, b) => scale * Math.cos((Math.PI * c * (b + 0.5)) / bins));
  });
  return logMel.map((frame) => {
    const out = new Float32Array(numCeps);
    for (let c = 0; c < numCeps; c++) {
      const row = basis[c];
      let sum = 0;
      for (let b = 0; b < bins; b++) sum += row[b] * frame[b];
      out[c] = sum;
    }
    return out;
  });
}

export interface PitchOptions {
  minHz: number;
  maxHz: number;
  /** YIN aperiodicity threshold: a frame is voiced when its normalized difference dips below this. */
  threshold: number;
}

/** Frames quieter than this RMS are unvoiced without analysis (digital silence would divide 0 by 0). */
const SILENCE_RMS = 1e-4;

/**
 * F0 in Hz per frame (0 = unvoiced), with the YIN method. Frame f is centred on the centre of fbank frame f, so the
 * two can be combined index by index; the analysis window is longer (two periods of minHz) and zero-padded at the
 * edges.
 */
export function pitchTrack(
  samples: Float32Array,
  sampleRate: number,
  options: Partial<PitchOptions> = {},
): Float32Array {
  const { minHz, maxHz, threshold } = { minHz: 60, maxHz: 400, threshold: 0.15, ...options };
  const { length, shift, count } = frameLayout(samples.length, sampleRate);
  const tauMin = Math.floor(sampleRate / maxHz);
  const tauMax = Math.ceil(sampleRate / minHz);
  // Integration window of tauMax samples, compared with itself shifted by up to tauMax + 1 (for the interpolation).
  const span = 2 * tauMax + 1;
  const x = new Float64Array(span);
  const diff = new Float64Array(tauMax + 2);
  const f0 = new Float32Array(count);
  for (let f = 0; f < count; f++) {
    const from = f * shift + Math.floor(length / 2) - tauMax;
    let energy = 0;
    for (let i = 0; i < span; i++) {
      const v = samples[from + i] ?? 0;
      x[i] = v;
      energy += v * v;
    }
    if (Math.sqrt(energy / span) < SILENCE_RMS) continue;
    // Cumulative-mean-normalized difference d'(tau).
    let runningSum = 0;
    diff[0] = 1;
    for (let tau = 1; tau <= tauMax + 1; tau++) {
      let d = 0;
      for (let j = 0; j < tauMax; j++) {
        const delta = x[j] - x[j + tau];
        d += delta * delta;
      }
      runningSum += d;
      diff[tau] = runningSum === 0 ? 1 : (d * tau) / runningSum;
    }
    let tau = tauMin;
    while (tau <= tauMax && diff[tau] >= threshold) tau++;
    if (tau > tauMax) continue;
    while (tau < tauMax && diff[tau + 1] < diff[tau]) tau++;
    // Parabolic interpolation around the minimum for sub-sample period precision.
    const [a, b, c] = [diff[tau - 1], diff[tau], diff[tau + 1]];
    const curvature = a - 2 * b + c;
    const period = curvature > 0 ? tau + (a - c) / (2 * curvature) : tau;
    f0[f] = sampleRate / period;
  }
  return f0;
}
