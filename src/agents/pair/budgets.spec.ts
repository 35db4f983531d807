import { describe, expect, it } from 'vitest';
import { budgetProblem } from './budgets.js';

const budgets = { cycles: 3, tokens: 1_000, costUsd: 1, minutes: 10 };
const usage = (inputTokens = 0, outputTokens = 0, costUsd = 0) => ({
  inputTokens,
  outputTokens,
  costUsd,
});

describe('budgetProblem', () => {
  it('is null while every budget has room', () => {
    expect(budgetProblem(budgets, 3, usage(900, 99, 0.5), 599_999)).toBeNull();
  });

  it('names the first budget used up: cycles, tokens, dollars, then time', () => {
    expect(budgetProblem(budgets, 4, usage(), 0)).toEqual({
      reason: 'budget_cycles',
      whatFailed: 'more than 3 cycles needed',
    });
    expect(budgetProblem(budgets, 1, usage(900, 100), 0)?.reason).toBe('budget_tokens');
    expect(budgetProblem(budgets, 1, usage(0, 0, 1), 0)?.reason).toBe('budget_cost');
    expect(budgetProblem(budgets, 1, usage(), 600_000)?.reason).toBe('budget_time');
  });

  it('never blocks free local models on a zero dollar budget', () => {
    expect(budgetProblem({ ...budgets, costUsd: 0 }, 1, usage(10, 10, 0), 0)).toBeNull();
  });
});
