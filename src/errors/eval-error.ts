import { TandemError } from './tandem-error.js';

/** What part of `tandem eval` failed. */
export type EvalFailure =
  /** A source archive could not be fetched, or its sha256 differs from the pinned one. */
  | 'fetch_failed'
  /** A task's base, reference or hidden tests could not be assembled (missing file, patch that does not apply). */
  | 'prepare_failed'
  /** The hidden tests could not be run (setup failed, no JUnit report). */
  | 'grade_failed';

/**
 * `tandem eval` could not fetch, prepare or grade a task. Invalid task files are a `ConfigError` instead;
 * a model that solves nothing is a normal result, never this error. `task` names the instance when known.
 */
export class EvalError extends TandemError {
  readonly code = 'eval_failed';

  constructor(
    readonly failure: EvalFailure,
    message: string,
    readonly task?: string,
    options?: { cause?: unknown },
  ) {
    super(task ? `${task}: ${message}` : message, options);
  }
}
