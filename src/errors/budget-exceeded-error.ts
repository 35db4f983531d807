import { TandemError } from './tandem-error.js';

/** Which budget ran out (a ticket's, or a request's for PM and Architect calls). */
export type BudgetKind = 'tokens' | 'costUsd';

/**
 * A session's model budget (tokens in + out, or US dollars) is used up; no further model call is made for
 * it. For a ticket the pair engine blocks the ticket with a diagnosis; for a request (PM and Architect)
 * the job fails without retry and the request is blocked. `used` and `limit` are in the budget's unit.
 */
export class BudgetExceededError extends TandemError {
  readonly code = 'budget_exceeded';

  constructor(
    readonly budget: BudgetKind,
    readonly used: number,
    readonly limit: number,
    options?: { cause?: unknown },
  ) {
    super(`model ${budget} budget exceeded: used ${used} of ${limit}`, options);
  }
}
