import { TandemError } from './tandem-error.js';

/**
 * The process was told to stop (SIGINT, SIGTERM) and stopped at a safe point: the work in flight was
 * aborted, its sandbox removed, and the last checkpoint kept for the next run to resume from. Used as the
 * abort reason of the run's signal, so whatever the abort interrupts rethrows it.
 */
export class InterruptedError extends TandemError {
  readonly code = 'interrupted';

  constructor(
    /** The signal that stopped the run, e.g. `SIGINT`. */
    readonly signal: string,
    options?: { cause?: unknown },
  ) {
    super(`interrupted by ${signal}`, options);
  }
}
