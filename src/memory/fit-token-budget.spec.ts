import { describe, expect, it } from 'vitest';
import { estimateTokens, fitTokenBudget, MIN_PART_TOKENS } from './fit-token-budget.js';

const item = (id: string, chars: number) => ({ id, content: 'x'.repeat(chars) });

describe('fitTokenBudget', () => {
  it('takes whole items in order while they fit, then cuts the next one to what is left', () => {
    // 300 chars = 100 tokens by the estimate (3 characters per token).
    const out = fitTokenBudget([item('a', 300), item('b', 300), item('c', 300)], 250);
    expect(out.map((o) => [o.id, o.truncated])).toEqual([
      ['a', false],
      ['b', false],
      ['c', true],
    ]);
    expect(out.reduce((n, o) => n + estimateTokens(o.content), 0)).toBeLessThanOrEqual(250);
    expect(out[2]?.content.endsWith('…')).toBe(true);
  });

  it('counts each item’s overhead and drops a remainder too small to be useful', () => {
    const out = fitTokenBudget(
      [item('a', 300), item('b', 300)],
      100 + 10 + MIN_PART_TOKENS - 1,
      () => 10,
    );
    expect(out.map((o) => o.id)).toEqual(['a']);
  });

  it('gives nothing for a zero budget and everything for a large one', () => {
    expect(fitTokenBudget([item('a', 30)], 0)).toEqual([]);
    expect(fitTokenBudget([item('a', 30), item('b', 30)], 10_000)).toHaveLength(2);
  });

  it('uses the given token count (a real tokenizer)', () => {
    const words = (t: string) => t.split(/\s+/).filter(Boolean).length;
    const out = fitTokenBudget(
      [{ content: 'one two three' }, { content: 'four five six seven' }],
      5,
      () => 0,
      words,
    );
    expect(out).toEqual([{ content: 'one two three', truncated: false }]);
  });
});
