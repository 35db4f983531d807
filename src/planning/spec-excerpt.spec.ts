import { describe, expect, it } from 'vitest';
import { renderSpec } from './render-spec.js';
import { specExcerpt } from './spec-excerpt.js';

const SPEC = renderSpec(
  {
    title: 'Calculator operations',
    slug: 'calc-ops',
    summary: 'The calculator gains multiplication and subtraction.',
    userStories: ['As a user I multiply'],
    acceptanceCriteria: [
      'multiply(a, b) returns the product',
      'subtract(a, b) returns the difference',
      'divide by zero raises an error',
    ],
    outOfScope: ['powers'],
    openQuestions: [],
  },
  4,
);

describe('specExcerpt', () => {
  it('keeps the title, the summary, the spec criteria related to the ticket and the scope', () => {
    const excerpt = specExcerpt(SPEC, {
      title: 'Multiply',
      acceptanceCriteria: ['multiply(a, b) returns the product of a and b'],
    });
    expect(excerpt).toContain('Calculator operations');
    expect(excerpt).toContain('The calculator gains multiplication and subtraction.');
    expect(excerpt).toContain('**AC1**: multiply(a, b) returns the product');
    expect(excerpt).not.toContain('subtract(a, b)');
    expect(excerpt).not.toContain('divide');
    expect(excerpt).toContain('Out of scope:\n- powers');
  });

  it('cuts a spec without the usual sections at the budget', () => {
    const excerpt = specExcerpt('x'.repeat(5_000), { title: 't', acceptanceCriteria: ['c'] }, 100);
    expect(excerpt.length).toBeLessThanOrEqual(100);
    expect(excerpt.endsWith('[… cut]')).toBe(true);
  });
});
