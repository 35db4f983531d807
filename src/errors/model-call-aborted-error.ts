import { TandemError } from './tandem-error.js';

/** A model call (or its wait for a concurrency slot) was cancelled through its AbortSignal. */
export class ModelCallAbortedError extends TandemError {
  readonly code = 'model_call_aborted';

  constructor(
    readonly alias: string,
    options?: { cause?: unknown },
  ) {
    super(`model call to ${alias} aborted`, options);
  }
}
