import { TandemError } from './tandem-error.js';

/** A request or ticket was asked to move to a state its machine does not allow from where it is. */
export class InvalidTransitionError extends TandemError {
  readonly code = 'invalid_transition';

  constructor(
    readonly machine: 'request' | 'ticket',
    readonly from: string,
    readonly to: string,
  ) {
    super(`${machine} cannot move from ${from} to ${to}`);
  }
}
