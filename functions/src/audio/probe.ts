/**
 * How long an upload is, from its container, before anything is decoded: what fair use counts at upload time
 * (prepare_audio then measures the decoded audio exactly). Null when the container declares no duration or cannot be
 * read: deciding that the upload is broken is prepare_audio's job, not the upload's.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { declaredDurationSeconds } from "./ffmpeg.js";
import { withTempDir } from "./tempDir.js";

export async function uploadDurationSeconds(chunks: Buffer[], ext: string): Promise<number | null> {
  return withTempDir("probe", async (dir) => {
    const path = join(dir, `upload.${ext}`);
    await writeFile(path, chunks);
    return declaredDurationSeconds(path, ext).catch(() => null);
  });
}
