/** Errors with a stable code. HTTP errors map to `{error: {code, message}}`; pipeline errors say whether to retry. */

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** More fields for the error object of the JSON answer (e.g. which fair-use window, until when). */
    readonly details: Record<string, unknown> = {},
    /** Seconds for a Retry-After header (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** A stage failure. `retryable` errors are rethrown so the event is redelivered; others end the job. */
export class PipelineError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export const permanent = (code: string, message: string) => new PipelineError(code, message, false);
export const transient = (code: string, message: string) => new PipelineError(code, message, true);

/**
 * Thrown by stage work that cannot start its next paid request before the invocation's deadline (the request's whole
 * retry budget would not fit). Not a failure: the stage is given back without using an attempt and continues from
 * its checkpoints in a new invocation.
 */
export class DeadlineReached extends Error {
  override name = "DeadlineReached";
  constructor(
    readonly what: string,
    /** Paid calls made before it (ledger entries, in the shape of model/usage.ts without stage and cost). */
    readonly calls: unknown[] = [],
  ) {
    super(`no time left in this invocation for ${what}`);
  }
}

/** Throws DeadlineReached unless `budgetMs` fits before `deadline` (no deadline: always fits). */
export function assertTimeFor(deadline: Date | undefined, budgetMs: number, what: string, calls?: unknown[]): void {
  if (deadline && Date.now() + budgetMs > deadline.getTime()) throw new DeadlineReached(what, calls);
}
