/** Document and object paths: the contracts the app, the stages and the sweeper share. */

export const memoryPath = (uid: string, memoryId: string) => `users/${uid}/memories/${memoryId}`;
export const userPath = (uid: string) => `users/${uid}`;

/** `{uid}/{memoryId}/{jobId}.{ext}` in both the post-processing and the recordings bucket. */
export const uploadObjectName = (uid: string, memoryId: string, jobId: string, ext: string) => `${uid}/${memoryId}/${jobId}.${ext}`;
/** The 16 kHz mono WAV prepareAudio writes beside the upload. */
export const normalizedObjectName = (uid: string, memoryId: string, jobId: string) => `${uid}/${memoryId}/${jobId}.16k.wav`;

/** Firestore document ids: 1–1500 bytes, no '/', not '.' or '..', not `__…__`. We also bound ids to a sane size. */
export function isValidDocumentId(id: string): boolean {
  return (
    id.length > 0 && Buffer.byteLength(id) <= 256 && !id.includes("/") && id !== "." && id !== ".." && !/^__.*__$/.test(id) &&
    /^[\p{L}\p{N}_\-.:@+=~]+$/u.test(id)
  );
}
