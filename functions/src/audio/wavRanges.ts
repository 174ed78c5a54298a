/**
 * Reading chosen stretches of a 16-bit mono PCM WAV in one pass over a stream, keeping only those samples: memory is
 * bounded by what is asked for, not by the recording (a 3-hour recording is 345 MB of WAV and 690 MB as floats).
 */
import type { Readable } from "node:stream";
import { parseWavHeader } from "./wav.js";

export interface SampleRange<K> {
  key: K;
  /** Seconds. */
  start: number;
  end: number;
}

/** Bytes of the stream kept until the header (with its data chunk) is found. */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * The header of a 16-bit mono PCM WAV stream from its first bytes: null while more are needed; throws when they are
 * not one (no data chunk in the first MAX_HEADER_BYTES, or another sample format).
 */
function monoPcmHeader(head: Buffer) {
  const info = parseWavHeader(head, Number.MAX_SAFE_INTEGER);
  if (!info) {
    if (head.length > MAX_HEADER_BYTES) throw new Error("Not a WAV file (no data chunk in the first 64 KiB)");
    return null;
  }
  if (info.channels !== 1 || info.bitsPerSample !== 16) {
    throw new Error(`Expected 16-bit mono PCM WAV, got ${info.channels} channel(s) of ${info.bitsPerSample}-bit audio`);
  }
  return info;
}

/**
 * The samples of each range (in [-1, 1]), grouped by key in the order given. Ranges may overlap; parts past the end of
 * the audio are cut. Throws when the stream is not 16-bit mono PCM WAV.
 */
export async function readWavRanges<K>(
  stream: Readable,
  ranges: SampleRange<K>[],
): Promise<{ sampleRate: number; pieces: Map<K, Float32Array[]> }> {
  let head = Buffer.alloc(0);
  let info: ReturnType<typeof parseWavHeader> = null;
  let position = 0; // index of the next sample in the data
  let carry: Buffer | null = null; // an odd byte left from the previous chunk
  let slots: { key: K; from: number; to: number; out: Float32Array; filled: number }[] = [];

  const consume = (data: Buffer) => {
    let bytes = carry ? Buffer.concat([carry, data]) : data;
    carry = bytes.length % 2 ? bytes.subarray(bytes.length - 1) : null;
    if (carry) bytes = bytes.subarray(0, bytes.length - 1);
    const count = bytes.length / 2;
    const first = position;
    const last = position + count;
    for (const slot of slots) {
      const from = Math.max(slot.from, first);
      const to = Math.min(slot.to, last);
      for (let i = from; i < to; i++) slot.out[i - slot.from] = bytes.readInt16LE(2 * (i - first)) / 32768;
      if (to > from) slot.filled = Math.max(slot.filled, to - slot.from);
    }
    position = last;
  };

  for await (const chunk of stream) {
    const data = chunk as Buffer;
    if (info) {
      consume(data);
      continue;
    }
    head = Buffer.concat([head, data]);
    info = monoPcmHeader(head);
    if (!info) continue;
    const rate = info.sampleRate;
    slots = ranges.map((r) => {
      const from = Math.max(0, Math.round(r.start * rate));
      const to = Math.max(from, Math.round(r.end * rate));
      return { key: r.key, from, to, out: new Float32Array(to - from), filled: 0 };
    });
    consume(head.subarray(info.dataOffset));
  }
  if (!info) throw new Error("Not a WAV file");
  const pieces = new Map<K, Float32Array[]>();
  for (const slot of slots) {
    const list = pieces.get(slot.key) ?? [];
    list.push(slot.out.subarray(0, slot.filled));
    pieces.set(slot.key, list);
  }
  return { sampleRate: info.sampleRate, pieces };
}

/**
 * Like readWavRanges, but hands each range to `onRange` as soon as the stream has passed its end, and forgets it:
 * memory is bounded by the ranges open at one time, so every turn of a four-hour recording can be looked at. The
 * stream waits while `onRange` runs. Ranges past the end of the audio are handed over cut (possibly empty) at the end.
 */
export async function forEachWavRange<K>(
  stream: Readable,
  ranges: SampleRange<K>[],
  onRange: (key: K, samples: Float32Array, sampleRate: number) => Promise<void>,
): Promise<void> {
  let head = Buffer.alloc(0);
  let info: ReturnType<typeof parseWavHeader> = null;
  let position = 0;
  let carry: Buffer | null = null;
  type Slot = { key: K; from: number; to: number; out: Float32Array | null; filled: number };
  let pending: Slot[] = []; // by start, not yet begun
  let open: Slot[] = [];

  const consume = (data: Buffer) => {
    let bytes = carry ? Buffer.concat([carry, data]) : data;
    carry = bytes.length % 2 ? bytes.subarray(bytes.length - 1) : null;
    if (carry) bytes = bytes.subarray(0, bytes.length - 1);
    const first = position;
    const last = position + bytes.length / 2;
    while (pending.length && pending[0].from < last) open.push(pending.shift()!);
    for (const slot of open) {
      slot.out ??= new Float32Array(slot.to - slot.from);
      const from = Math.max(slot.from, first);
      const to = Math.min(slot.to, last);
      for (let i = from; i < to; i++) slot.out[i - slot.from] = bytes.readInt16LE(2 * (i - first)) / 32768;
      if (to > from) slot.filled = Math.max(slot.filled, to - slot.from);
    }
    position = last;
  };
  const hand = async (done: (s: Slot) => boolean) => {
    const finished = open.filter(done);
    open = open.filter((s) => !done(s));
    for (const slot of finished)
      await onRange(slot.key, (slot.out ?? new Float32Array(0)).subarray(0, slot.filled), info!.sampleRate);
  };

  for await (const chunk of stream) {
    const data = chunk as Buffer;
    if (!info) {
      head = Buffer.concat([head, data]);
      info = monoPcmHeader(head);
      if (!info) continue;
      const rate = info.sampleRate;
      pending = ranges
        .map((r) => {
          const from = Math.max(0, Math.round(r.start * rate));
          return { key: r.key, from, to: Math.max(from, Math.round(r.end * rate)), out: null, filled: 0 };
        })
        .sort((a, b) => a.from - b.from);
      consume(head.subarray(info.dataOffset));
    } else consume(data);
    await hand((s) => s.to <= position);
  }
  if (!info) throw new Error("Not a WAV file");
  open.push(...pending);
  pending = [];
  await hand(() => true);
}
