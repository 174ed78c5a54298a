/**
 * Stage `reprocess`: with the new transcript saved, re-extract the memory's structure (title, overview, emoji,
 * category, action items, events) and its vector. The transcript is rendered with names and cut to a token budget
 * (the cut is recorded). An extraction the provider refuses or keeps getting wrong, or a provider that refuses us
 * (401/403), does not fail the job: the new transcript is the main result, so the job completes with the old
 * structure kept and `postprocessing.warnings` saying why. Transient provider errors are retried with the stage.
 * The structure, the vector and the job's completion are written in one transaction.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { permanent, PipelineError } from "../errors.js";
import * as logs from "../logs.js";
import type { JobMessage, JobRef } from "../model/job.js";
import type { Structured } from "../model/structured.js";
import { transcriptSegmentSchema } from "../model/transcript.js";
import type { UnpricedCall } from "../pipeline/ledger.js";
import { runStage, type StageDeps, type StageWork } from "../pipeline/runStage.js";
import type { Extraction, Extractor } from "../providers/extractor/types.js";
import type { TextEmbedder } from "../providers/textEmbedder/types.js";
import { loadJobJson, saveJobJson } from "../store/objects.js";
import { reprocessResultObjectName } from "../store/objectNames.js";
import { speakerNames } from "../store/users.js";
import { setMemoryVector, type MemoryVector } from "../store/vectors.js";
import { namedLines, type NamedLine } from "../transcript/namedLines.js";
import { cutToTokenBudget, renderTranscript, type TokenCut } from "../transcript/tokenBudget.js";

const STAGE = "reprocess" as const;

export interface ReprocessDeps extends StageDeps {
  extractor: () => Promise<Extractor>;
  textEmbedder: () => Promise<TextEmbedder>;
}

const segmentsSchema = z.array(transcriptSegmentSchema);

/** A Firestore Timestamp, a Date or an ISO string as a Date; null when it is none of them. */
function toDate(value: unknown): Date | null {
  if (value instanceof Date) return value;
  if (value && typeof (value as { toDate?: unknown }).toDate === "function")
    return (value as { toDate(): Date }).toDate();
  if (typeof value === "string" && Number.isFinite(Date.parse(value))) return new Date(value);
  return null;
}

/** The text a memory is embedded from: its title, overview and transcript. */
export const embeddingText = (structured: Pick<Structured, "title" | "overview"> | null, lines: NamedLine[]) =>
  [structured?.title, structured?.overview, renderTranscript(lines)].filter(Boolean).join("\n\n");

/** What the providers returned, checkpointed in Storage before the stage completes. */
interface ProviderResults {
  extraction: Extraction | null;
  vector: MemoryVector | null;
  warnings: string[];
  calls: UnpricedCall[];
  cut: TokenCut;
  extractorId: string;
  embedderId: string;
}

export async function reprocess(message: JobMessage, deps: ReprocessDeps): Promise<void> {
  const job: JobRef = message;
  const { config } = deps;
  await runStage({ job, stage: STAGE, idempotencyKey: `event:${deps.eventId}`, deps }, async (work) => {
    const checkpoint = reprocessResultObjectName(job);
    // A delivery that died after paying for its results (before completing) left them here: they are reused, so the
    // providers are called once per job whatever happens between.
    const saved = await loadJobJson<ProviderResults>(config.postprocessingBucket, checkpoint).catch(() => null);
    const results = saved ?? (await callProviders(job, work, deps));
    if (!saved) await saveJobJson(config.postprocessingBucket, checkpoint, job, "reprocess", results);
    const { extraction, vector, warnings } = results;
    for (const warning of warnings) logs.stageWarning(work.log, warning);
    return {
      kind: "done",
      calls: results.calls,
      patch: {
        ...(extraction ? { structured: extraction.structured } : {}),
        "postprocessing.warnings": warnings,
        "postprocessing.reprocess": {
          extractor: results.extractorId,
          extracted: extraction !== null,
          transcript_tokens: results.cut.tokens,
          sent_tokens: results.cut.keptTokens,
          transcript_cut: results.cut.cut,
          embedder: vector ? results.embedderId : null,
          dimensions: vector ? vector.vector.length : null,
        },
      },
      also: (tx) => {
        if (vector) setMemoryVector(tx, job.uid, job.memoryId, vector, deps.now());
        return {};
      },
      summary: {
        extractor: results.extractorId,
        extracted: extraction !== null,
        vector: vector !== null,
        warnings: warnings.length,
        reusedCheckpoint: saved !== null,
      },
    };
  });
}

async function callProviders(job: JobRef, work: StageWork, deps: ReprocessDeps): Promise<ProviderResults> {
  const { config } = deps;
  const { memory } = work;
  const segments = segmentsSchema.safeParse(memory.transcript_segments ?? []);
  if (!segments.success) throw permanent("malformed_transcript", "The memory's transcript_segments are malformed.");
  const names = await speakerNames(job.uid);
  const lines = namedLines(segments.data, names);
  const warnings: string[] = [];
  const calls: UnpricedCall[] = [];
  // On the last attempt a provider still failing transiently is given up on like a permanent failure: the job
  // completes with a warning instead of failing after its new transcript was saved.
  const lastAttempt = work.attempt >= config.stageMaxAttempts;
  const giveUp = (err: unknown) => warningFor(err, lastAttempt);

  const budgeted = await cutToTokenBudget(lines, config.extractionTokenBudget);
  let extraction: Extraction | null = null;
  const extractor = await deps.extractor();
  if (lines.length === 0) warnings.push("extraction skipped: the transcript is empty");
  else {
    try {
      extraction = await extractor.extract({
        lines: budgeted.lines,
        language: typeof memory.language === "string" ? memory.language : null,
        startedAt: toDate(memory.started_at) ?? toDate(memory.created_at) ?? deps.now(),
        userName: names.user,
      });
      calls.push(...extraction.calls);
    } catch (err) {
      calls.push(...((err as { calls?: UnpricedCall[] }).calls ?? []));
      warnings.push(`extraction failed, the previous structure is kept: ${giveUp(err)}`);
    }
  }

  const current = extraction?.structured ?? (memory.structured as Structured | undefined) ?? null;
  const embeddingLines = (await cutToTokenBudget(lines, config.embeddingTokenBudget)).lines;
  const text = embeddingText(current, embeddingLines);
  let vector: MemoryVector | null = null;
  const embedder = await deps.textEmbedder();
  try {
    const embedding = await embedder.embed(text);
    calls.push(...embedding.calls);
    vector = {
      vector: embedding.vector,
      modelId: embedder.modelId,
      textSha256: createHash("sha256").update(text).digest("hex"),
    };
  } catch (err) {
    warnings.push(`embedding failed, the memory's vector was not updated: ${giveUp(err)}`);
  }
  return {
    extraction,
    vector,
    warnings,
    calls,
    cut: budgeted.cut,
    extractorId: extractor.modelId,
    embedderId: embedder.modelId,
  };
}

/** A permanent provider failure (or any failure on the last attempt) becomes a warning; else it is rethrown. */
function warningFor(err: unknown, lastAttempt: boolean): string {
  if (err instanceof PipelineError && (!err.retryable || lastAttempt)) return `${err.code}: ${err.message}`;
  throw err;
}
