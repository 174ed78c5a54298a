/** Errors with a stable code. HTTP errors map to `{error: {code, message}}`; pipeline errors say whether to retry. */

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
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
