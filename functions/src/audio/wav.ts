/** Minimal RIFF/WAVE header reading: enough to know a PCM file's format and exact duration. */
import { open } from "node:fs/promises";

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Byte offset of the first sample. */
  dataOffset: number;
  dataBytes: number;
  durationS: number;
}

/** Parses the chunk list at the start of a WAV buffer. `totalBytes` bounds a data chunk whose size is a placeholder. */
export function parseWavHeader(head: Buffer, totalBytes = head.length): WavInfo | null {
  if (head.length < 12 || head.toString("ascii", 0, 4) !== "RIFF" || head.toString("ascii", 8, 12) !== "WAVE")
    return null;
  let offset = 12;
  let fmt: { channels: number; sampleRate: number; bitsPerSample: number } | null = null;
  while (offset + 8 <= head.length) {
    const id = head.toString("ascii", offset, offset + 4);
    const size = head.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === "fmt " && body + 16 <= head.length) {
      fmt = {
        channels: head.readUInt16LE(body + 2),
        sampleRate: head.readUInt32LE(body + 4),
        bitsPerSample: head.readUInt16LE(body + 14),
      };
    } else if (id === "data") {
      if (!fmt || fmt.sampleRate === 0 || fmt.channels === 0 || fmt.bitsPerSample === 0) return null;
      const dataBytes = Math.min(size, Math.max(0, totalBytes - body));
      const bytesPerSecond = fmt.sampleRate * fmt.channels * (fmt.bitsPerSample / 8);
      return { ...fmt, dataOffset: body, dataBytes, durationS: dataBytes / bytesPerSecond };
    }
    offset = body + size + (size % 2);
  }
  return null;
}

export async function readWavInfo(path: string): Promise<WavInfo | null> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 64 * 1024));
    await handle.read(head, 0, head.length, 0);
    return parseWavHeader(head, size);
  } finally {
    await handle.close();
  }
}
