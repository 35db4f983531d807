/**
 * The per-ticket budgets checked before every step (cycles, tokens, dollars, wall minutes), with the one
 * budget rule of `src/llm/budget-rule.ts` for tokens and dollars.
 */
import type { Budgets } from '../../config/repo-policy.js';
import { costBudgetExhausted, tokenBudgetExhausted } from '../../llm/budget-rule.js';
import type { ModelUsage } from '../agent-models.js';
import type { Diagnosis } from '../checkpoint.js';

/** A budget that is used up: the block reason and what to tell a person. */
export interface BudgetProblem {
  reason: Extract<Diagnosis['reason'], `budget_${string}`>;
  whatFailed: string;
}

/**
 * The first budget used up before cycle `cycle` may take another step, or null when all have room.
 * `elapsedMs` is the wall time across restarts.
 */
export function budgetProblem(
  budgets: Pick<Budgets, 'cycles' | 'tokens' | 'costUsd' | 'minutes'>,
  cycle: number,
  usage: Pick<ModelUsage, 'inputTokens' | 'outputTokens' | 'costUsd'>,
  elapsedMs: number,
): BudgetProblem | null {
  if (cycle > budgets.cycles) {
    return { reason: 'budget_cycles', whatFailed: `more than ${budgets.cycles} cycles needed` };
  }
  if (tokenBudgetExhausted(usage.inputTokens + usage.outputTokens, budgets.tokens)) {
    return { reason: 'budget_tokens', whatFailed: `token budget of ${budgets.tokens} used` };
  }
  if (costBudgetExhausted(usage.costUsd, budgets.costUsd)) {
    return { reason: 'budget_cost', whatFailed: `cost budget of $${budgets.costUsd} used` };
  }
  if (elapsedMs >= budgets.minutes * 60_000) {
    return { reason: 'budget_time', whatFailed: `time budget of ${budgets.minutes} min used` };
  }
  return null;
}
