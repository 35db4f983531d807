import { TandemError } from './tandem-error.js';

/** The Architect's ticket plan has dependency problems (unknown keys, self-dependencies, cycles). */
export class InvalidPlanError extends TandemError {
  readonly code = 'invalid_plan';

  constructor(
    /** The problems `orderTicketPlan` found, e.g. `dependency cycle among T1, T2`. */
    readonly problems: readonly string[],
  ) {
    super(`invalid ticket plan: ${problems.join('; ')}`);
  }
}
