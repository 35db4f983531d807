import { TandemError } from './tandem-error.js';

/**
 * The circuit breaker of a model alias is open after repeated failures: calls fail fast until
 * `retryAfterMs` (ms from now) has passed, then one trial call is let through.
 */
export class CircuitOpenError extends TandemError {
  readonly code = 'circuit_open';

  constructor(
    readonly alias: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(`model alias ${alias} is failing: circuit open, retry in ${retryAfterMs} ms`, options);
  }
}
