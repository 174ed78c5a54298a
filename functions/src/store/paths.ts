/** Firestore document paths, and what a valid document id is. */

export const memoryPath = (uid: string, memoryId: string) => `users/${uid}/memories/${memoryId}`;
export const memoriesPath = (uid: string) => `users/${uid}/memories`;
export const userPath = (uid: string) => `users/${uid}`;
export const personPath = (uid: string, personId: string) => `users/${uid}/people/${personId}`;
export const peoplePath = (uid: string) => `users/${uid}/people`;
/** Privacy actions on the user's data (deleting kept audio), one entry each; the user can read them. */
export const auditPath = (uid: string) => `users/${uid}/audit`;

/** Firestore document ids: 1–1500 bytes, no '/', not '.' or '..', not `__…__`. We also bound ids to a sane size. */
export function isValidDocumentId(id: string): boolean {
  return (
    id.length > 0 &&
    Buffer.byteLength(id) <= 256 &&
    !id.includes("/") &&
    id !== "." &&
    id !== ".." &&
    !/^__.*__$/.test(id) &&
    /^[\p{L}\p{N}_\-.:@+=~]+$/u.test(id)
  );
}
