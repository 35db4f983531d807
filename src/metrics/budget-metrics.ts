/**
 * Budget use of pair runs: when a run ends, the share of each per-ticket budget it used, and whether a
 * budget stopped it. The budgets are the ones the run was given (a revise run gets what the ticket's
 * earlier runs left).
 */
import type { RunRecord } from '../agents/checkpoint.js';
import type { Budgets } from '../config/repo-policy.js';
import type { TandemMetrics } from './tandem-metrics.js';

/** Diagnosis reasons that mean a budget ran out, and the resource each names. */
const EXHAUSTED: Readonly<Record<string, string>> = {
  budget_tokens: 'tokens',
  budget_cost: 'cost',
  budget_time: 'minutes',
  budget_cycles: 'cycles',
};

/**
 * Observes `tandem_ticket_budget_used_ratio` for tokens, minutes and cycles (and cost when the budget is
 * above 0), and counts `tandem_budget_exhausted_total` when the run was blocked by a budget.
 */
export function observeRunBudgets(
  metrics: Pick<TandemMetrics, 'budgetUsed' | 'budgetExhausted'>,
  budgets: Pick<Budgets, 'tokens' | 'costUsd' | 'minutes' | 'cycles'>,
  record: Pick<RunRecord, 'usage' | 'durationMs' | 'cycles' | 'diagnosis'>,
): void {
  const usage = Object.values(record.usage);
  const tokens = usage.reduce((n, u) => n + u.inputTokens + u.outputTokens, 0);
  const cost = usage.reduce((n, u) => n + u.costUsd, 0);
  const used: [string, number, number][] = [
    ['tokens', tokens, budgets.tokens],
    ['cost', cost, budgets.costUsd],
    ['minutes', record.durationMs / 60_000, budgets.minutes],
    ['cycles', record.cycles.length, budgets.cycles],
  ];
  for (const [resource, amount, budget] of used) {
    if (budget > 0) {
      metrics.budgetUsed.observe({ resource }, amount / budget);
    }
  }
  const exhausted = record.diagnosis ? EXHAUSTED[record.diagnosis.reason] : undefined;
  if (exhausted !== undefined) {
    metrics.budgetExhausted.inc({ resource: exhausted });
  }
}
