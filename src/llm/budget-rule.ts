/**
 * The one budget rule for model use, shared by the model session (before each call) and the pair engine
 * (between steps), so the two can never disagree:
 *
 * - tokens: exhausted when input + output tokens used reach the budget;
 * - dollars: only paid calls spend them. Free (local) models are never blocked by a dollar budget, and
 *   `costUsd: 0` means "no paid calls": it refuses the first call to a priced alias and nothing else.
 */

/** True when `used` tokens (input + output) reach the `budget`. */
export function tokenBudgetExhausted(used: number, budget: number): boolean {
  return used >= budget;
}

/**
 * True when the dollar budget stops further work: `spentUsd` reached `budgetUsd` and either something
 * was already spent or the next call is paid (`nextCallPaid`; the pair engine, checking between steps,
 * does not know the next alias and passes false).
 */
export function costBudgetExhausted(
  spentUsd: number,
  budgetUsd: number,
  nextCallPaid = false,
): boolean {
  return spentUsd >= budgetUsd && (spentUsd > 0 || nextCallPaid);
}
