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
import { DeadlineReached, permanent, PipelineError } from "../errors.js";
import * as logs from "../logs.js";
import type { JobMessage, JobRef } from "../model/job.js";
import type { Structured } from "../model/structured.js";
import { transcriptSegmentSchema } from "../model/transcript.js";
import type { UnpricedCall } from "../pipeline/ledger.js";
import { runStage, type StageDeps, type StageWork } from "../pipeline/runStage.js";
import type { Extraction, Extractor, NamedLine } from "../providers/extractor/types.js";
import type { TextEmbedder } from "../providers/textEmbedder/types.js";
import { loadJobJson, saveJobJson } from "../store/objects.js";
import { reprocessResultObjectName } from "../store/objectNames.js";
import { speakerNames } from "../store/users.js";
import { setMemoryVector, type MemoryVector } from "../store/vectors.js";
import { namedLines } from "../transcript/namedLines.js";
import { cutToTokenBudget, embeddingText, type TokenCut } from "../transcript/tokenBudget.js";

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

/** What the extraction step got, checkpointed as soon as it is paid for. */
interface ExtractionStep {
  extraction: Extraction | null;
  warnings: string[];
  calls: UnpricedCall[];
  cut: TokenCut;
  extractorId: string;
}

/** What the embedding step got, checkpointed as soon as it is paid for. */
interface EmbeddingStep {
  vector: MemoryVector | null;
  warnings: string[];
  calls: UnpricedCall[];
  embedderId: string;
  tokens: number;
}

/**
 * Runs `step` unless an earlier delivery of this job already paid for it and saved the result: then the saved result
 * is used, so each provider is paid once per job whatever fails or crashes after it.
 */
async function checkpointed<T>(job: JobRef, bucketName: string, name: string, step: () => Promise<T>) {
  const saved = await loadJobJson<T>(bucketName, name).catch(() => null);
  if (saved) return { result: saved, reused: true };
  const result = await step();
  await saveJobJson(bucketName, name, job, "reprocess", result);
  return { result, reused: false };
}

export async function reprocess(message: JobMessage, deps: ReprocessDeps): Promise<void> {
  const job: JobRef = message;
  const { config } = deps;
  await runStage({ job, stage: STAGE, idempotencyKey: `event:${deps.eventId}`, deps }, async (work) => {
    const bucketName = config.postprocessingBucket;
    const input = await reprocessInput(job, work);
    const extracted = await checkpointed(job, bucketName, reprocessResultObjectName(job, "extraction"), () =>
      extract(input, work, deps),
    );
    const embedded = await checkpointed(job, bucketName, reprocessResultObjectName(job, "embedding"), () =>
      embed(input, extracted.result, work, deps),
    );
    const { extraction, cut } = extracted.result;
    const { vector } = embedded.result;
    const warnings = [...extracted.result.warnings, ...embedded.result.warnings];
    for (const warning of warnings) logs.stageWarning(work.log, warning);
    return {
      kind: "done",
      // Calls from reused checkpoints too: a delivery that crashed after paying never got them into the ledger (the
      // ledger keeps each call once, by its id).
      calls: [...extracted.result.calls, ...embedded.result.calls],
      patch: {
        ...(extraction ? { structured: extraction.structured } : {}),
        "postprocessing.warnings": warnings,
        "postprocessing.reprocess": {
          extractor: extracted.result.extractorId,
          extracted: extraction !== null,
          transcript_tokens: cut.tokens,
          sent_tokens: cut.keptTokens,
          transcript_cut: cut.cut,
          embedder: vector ? embedded.result.embedderId : null,
          embedded_tokens: vector ? embedded.result.tokens : null,
          dimensions: vector ? vector.vector.length : null,
        },
      },
      also: (tx) => {
        if (vector) setMemoryVector(tx, job.uid, job.memoryId, vector, deps.now());
        return {};
      },
      summary: {
        extractor: extracted.result.extractorId,
        extracted: extraction !== null,
        vector: vector !== null,
        warnings: warnings.length,
        reusedCheckpoints: [extracted.reused && "extraction", embedded.reused && "embedding"].filter(Boolean),
      },
    };
  });
}

interface ReprocessInput {
  lines: NamedLine[];
  userName: string;
  memory: StageWork["memory"];
}

async function reprocessInput(job: JobRef, work: StageWork): Promise<ReprocessInput> {
  const segments = segmentsSchema.safeParse(work.memory.transcript_segments ?? []);
  if (!segments.success) throw permanent("malformed_transcript", "The memory's transcript_segments are malformed.");
  const names = await speakerNames(job.uid);
  return { lines: namedLines(segments.data, names), userName: names.user, memory: work.memory };
}

/** The paid calls a provider failure carries (they were billed before it failed). */
const paidCallsOf = (err: unknown): UnpricedCall[] => (err as { calls?: UnpricedCall[] }).calls ?? [];

/**
 * A permanent provider failure (or any failure on the last attempt, when retrying is over) becomes a warning: the
 * job completes with its new transcript. Anything else is rethrown for the stage to retry, carrying the calls it
 * paid for, so they reach the ledger before the retry.
 */
function warningOrRethrow(err: unknown, lastAttempt: boolean, paid: UnpricedCall[]): string {
  if (err instanceof PipelineError && (!err.retryable || lastAttempt)) return `${err.code}: ${err.message}`;
  if (err instanceof Error) throw Object.assign(err, { calls: paid });
  throw new Error(String(err));
}

async function extract(input: ReprocessInput, work: StageWork, deps: ReprocessDeps): Promise<ExtractionStep> {
  const { config } = deps;
  const { memory, lines } = input;
  const lastAttempt = work.attempt >= config.stageMaxAttempts;
  const budgeted = await cutToTokenBudget(lines, config.extractionTokenBudget);
  const extractor = await deps.extractor();
  const step: ExtractionStep = {
    extraction: null,
    warnings: [],
    calls: [],
    cut: budgeted.cut,
    extractorId: extractor.modelId,
  };
  if (lines.length === 0) {
    step.warnings.push("extraction skipped: the transcript is empty");
    return step;
  }
  try {
    step.extraction = await extractor.extract({
      lines: budgeted.lines,
      language: typeof memory.language === "string" ? memory.language : null,
      startedAt: toDate(memory.started_at) ?? toDate(memory.created_at) ?? deps.now(),
      userName: input.userName,
      deadline: deps.deadline,
    });
    step.calls.push(...step.extraction.calls);
  } catch (err) {
    if (err instanceof DeadlineReached) throw err;
    // Paid calls are kept even when the extraction fails: with a warning they are checkpointed (never paid again);
    // a transient failure carries them to the ledger before the stage is retried.
    const paid = paidCallsOf(err);
    const warning = warningOrRethrow(err, lastAttempt, paid);
    step.calls.push(...paid);
    step.warnings.push(`extraction failed, the previous structure is kept: ${warning}`);
  }
  return step;
}

async function embed(
  input: ReprocessInput,
  extracted: ExtractionStep,
  work: StageWork,
  deps: ReprocessDeps,
): Promise<EmbeddingStep> {
  const { config } = deps;
  const lastAttempt = work.attempt >= config.stageMaxAttempts;
  const embedder = await deps.textEmbedder();
  const current = extracted.extraction?.structured ?? (input.memory.structured as Structured | undefined) ?? null;
  // The whole text (title, overview and transcript) within the model's input limit, counted with its own tokenizer.
  const { text, tokens } = await embeddingText(
    [current?.title, current?.overview],
    input.lines,
    config.embeddingTokenBudget,
    embedder.encoding ?? "cl100k_base",
  );
  const step: EmbeddingStep = { vector: null, warnings: [], calls: [], embedderId: embedder.modelId, tokens };
  try {
    const embedding = await embedder.embed(text, { deadline: deps.deadline });
    step.calls.push(...embedding.calls);
    step.vector = {
      vector: embedding.vector,
      modelId: embedder.modelId,
      textSha256: createHash("sha256").update(text).digest("hex"),
    };
  } catch (err) {
    if (err instanceof DeadlineReached) throw err;
    const paid = paidCallsOf(err);
    const warning = warningOrRethrow(err, lastAttempt, paid);
    step.calls.push(...paid);
    step.warnings.push(`embedding failed, the memory's vector was not updated: ${warning}`);
  }
  return step;
}
