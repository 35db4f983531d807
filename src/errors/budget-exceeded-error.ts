import { TandemError } from './tandem-error.js';

/** Which per-ticket budget ran out. */
export type BudgetKind = 'tokens' | 'costUsd';

/**
 * A ticket's model budget (tokens in + out, or US dollars) is used up; no further model call is made for it.
 * The pair engine blocks the ticket with a diagnosis. `used` and `limit` are in the budget's unit.
 */
export class BudgetExceededError extends TandemError {
  readonly code = 'budget_exceeded';

  constructor(
    readonly budget: BudgetKind,
    readonly used: number,
    readonly limit: number,
    options?: { cause?: unknown },
  ) {
    super(`ticket ${budget} budget exceeded: used ${used} of ${limit}`, options);
  }
}
