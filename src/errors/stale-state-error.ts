import { TandemError } from './tandem-error.js';

/**
 * A request or ticket changed state between being read and being written (another job moved it):
 * the caller re-reads and decides again; a BullMQ retry does exactly that.
 */
export class StaleStateError extends TandemError {
  readonly code = 'stale_state';

  constructor(
    readonly machine: 'request' | 'ticket',
    readonly id: number,
    /** The state the caller expected the row to still have. */
    readonly expected: string,
  ) {
    super(`${machine} ${id} is no longer in state ${expected}`);
  }
}
