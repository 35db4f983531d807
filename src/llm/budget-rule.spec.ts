import { describe, expect, it } from 'vitest';
import { costBudgetExhausted, tokenBudgetExhausted } from './budget-rule.js';

describe('budget rule', () => {
  it('never blocks free local models on a dollar budget, also at costUsd: 0', () => {
    expect(costBudgetExhausted(0, 0)).toBe(false);
    expect(costBudgetExhausted(0, 0, false)).toBe(false);
    expect(costBudgetExhausted(0, 5)).toBe(false);
  });

  it('treats costUsd: 0 as "no paid calls": the first priced call is refused', () => {
    expect(costBudgetExhausted(0, 0, true)).toBe(true);
  });

  it('stops paid work once the spend reaches the budget, whatever comes next', () => {
    expect(costBudgetExhausted(4.99, 5, true)).toBe(false);
    expect(costBudgetExhausted(5, 5)).toBe(true);
    expect(costBudgetExhausted(5.2, 5, false)).toBe(true);
  });

  it('exhausts the token budget when the tokens used reach it', () => {
    expect(tokenBudgetExhausted(999, 1_000)).toBe(false);
    expect(tokenBudgetExhausted(1_000, 1_000)).toBe(true);
  });
});
