/**
 * `GET /v1/memories/search?q=…&limit=…` — the caller's memories nearest to a query: the query is embedded with the
 * same embedder as the memory vectors and matched with Firestore's `findNearest` (cosine) among vectors of that
 * embedder only; discarded and deleted memories are left out. When every stored vector is from another model (or
 * size), the answer is a clear 409 rather than wrong neighbours.
 */
import type { Request, Response } from "express";
import { z } from "zod";
import type { Config } from "../config.js";
import { HttpError, PipelineError } from "../errors.js";
import * as logs from "../logs.js";
import { estimateCost } from "../model/usage.js";
import type { TextEmbedder } from "../providers/textEmbedder/types.js";
import { db } from "../store/firebase.js";
import { memoryPath } from "../store/paths.js";
import { nearestMemories, vectorCounts } from "../store/vectors.js";
import { authenticate } from "./auth.js";

export interface SearchDeps {
  config: () => Config;
  textEmbedder: () => Promise<TextEmbedder>;
}

const querySchema = z.object({
  q: z.string().trim().min(1).max(1000),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

export function searchMemories(deps: SearchDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const uid = await authenticate(req);
    const query = querySchema.safeParse(req.query);
    if (!query.success) {
      throw new HttpError(400, "invalid_argument", "Send ?q= (1–1000 characters) and optionally &limit= (1–50).");
    }
    const { q, limit } = query.data;
    const embedder = await deps.textEmbedder();
    const counts = await vectorCounts(uid, embedder.modelId, embedder.dimensions);
    if (counts.total > 0 && counts.matching === 0) {
      throw new HttpError(
        409,
        "vector_model_mismatch",
        `Your memories were embedded with another model than ${embedder.modelId} ` +
          `(${embedder.dimensions} dimensions); re-run their reprocess stage before searching.`,
      );
    }
    let vector: number[];
    let costUsd: number;
    try {
      const embedding = await embedder.embed(q);
      vector = embedding.vector;
      const prices = deps.config().prices;
      costUsd = embedding.calls.reduce((sum, c) => sum + estimateCost({ ...c, stage: "reprocess" }, prices), 0);
    } catch (err) {
      if (err instanceof PipelineError) {
        throw new HttpError(
          err.retryable ? 503 : 502,
          "embedding_unavailable",
          `The query could not be embedded (${err.code}).`,
        );
      }
      throw err;
    }
    // A few more than asked for, so discarded or deleted memories can be dropped.
    const neighbours = counts.matching
      ? await nearestMemories(uid, vector, embedder.modelId, Math.min(100, limit * 2 + 5))
      : [];
    const memories = neighbours.length
      ? await db().getAll(...neighbours.map((n) => db().doc(memoryPath(uid, n.memoryId))))
      : [];
    const results = neighbours
      .map((n, i) => ({ n, memory: memories[i] }))
      .filter(({ memory }) => memory.exists && memory.get("discarded") !== true && memory.get("deleted") !== true)
      .slice(0, limit)
      .map(({ n, memory }) => ({
        id: n.memoryId,
        title: String(memory.get("structured.title") ?? ""),
        overview: String(memory.get("structured.overview") ?? ""),
        distance: Number(n.distance.toFixed(6)),
      }));
    logs.searchServed({ uid }, { results: results.length, staleVectors: counts.total - counts.matching, costUsd });
    res.status(200).json({ results, model: embedder.modelId, stale_vectors: counts.total - counts.matching });
  };
}
