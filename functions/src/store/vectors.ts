/**
 * Memory vectors: one per memory at `users/{uid}/memory_vectors/{memoryId}` (a sibling of the memory, so the app
 * never downloads vectors; clients cannot read it), upserted by memory id. `embedder` ("model@dimensions") is what
 * searches filter on, so vectors of different models are never compared.
 */
import { FieldValue, type Transaction } from "firebase-admin/firestore";
import { db } from "./firebase.js";
import { memoryPath, userPath } from "./paths.js";

export const memoryVectorsPath = (uid: string) => `${userPath(uid)}/memory_vectors`;
export const memoryVectorPath = (uid: string, memoryId: string) => `${memoryVectorsPath(uid)}/${memoryId}`;
export const embedderKey = (modelId: string, dimensions: number) => `${modelId}@${dimensions}`;

export interface MemoryVector {
  vector: number[];
  modelId: string;
  textSha256: string;
}

/** Writes (replaces) the memory's vector inside a transaction. */
export function setMemoryVector(tx: Transaction, uid: string, memoryId: string, v: MemoryVector, now: Date): void {
  tx.set(db().doc(memoryVectorPath(uid, memoryId)), {
    memory_id: memoryId,
    embedding: FieldValue.vector(v.vector),
    model: v.modelId,
    dimensions: v.vector.length,
    embedder: embedderKey(v.modelId, v.vector.length),
    text_sha256: v.textSha256,
    created_at: now.toISOString(),
  });
}

export interface Neighbour {
  memoryId: string;
  distance: number;
}

/** The caller's memories nearest to `query` (cosine distance), among vectors of the same embedder. */
export async function nearestMemories(
  uid: string,
  query: number[],
  modelId: string,
  limit: number,
): Promise<Neighbour[]> {
  const snap = await db()
    .collection(memoryVectorsPath(uid))
    .where("embedder", "==", embedderKey(modelId, query.length))
    .findNearest({
      vectorField: "embedding",
      queryVector: query,
      limit,
      distanceMeasure: "COSINE",
      distanceResultField: "distance",
    })
    .get();
  return snap.docs.map((d) => ({ memoryId: d.id, distance: Number(d.get("distance")) }));
}

/** How many of the caller's vectors there are, and how many were made by this embedder. */
export async function vectorCounts(uid: string, modelId: string, dimensions: number) {
  const all = db().collection(memoryVectorsPath(uid));
  const [total, matching] = await Promise.all([
    all.count().get(),
    all.where("embedder", "==", embedderKey(modelId, dimensions)).count().get(),
  ]);
  return { total: total.data().count, matching: matching.data().count };
}

export const memoryRef = (uid: string, memoryId: string) => db().doc(memoryPath(uid, memoryId));
