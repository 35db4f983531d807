import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { failureExcerpt } from './failure-excerpt.js';

const tap = readFileSync('test/fixtures/engine/output/node-tap-many.tap', 'utf8');

describe('failureExcerpt', () => {
  it('keeps the failing lines of long TAP output, and its summary, within the budget', () => {
    expect(tap.slice(-3_000)).not.toContain('not ok');
    const excerpt = failureExcerpt({ output: tap, cases: null }, 3_000);
    expect(excerpt.length).toBeLessThanOrEqual(3_000);
    expect(excerpt).toContain('not ok 1 - multiplies');
    expect(excerpt).toContain("error: '7 == 12'");
    expect(excerpt).toContain('# fail 1');
    expect(excerpt).toMatch(/\[… \d+ lines\]/);
  });

  it('lists the report’s failing cases first, then the output', () => {
    const excerpt = failureExcerpt(
      {
        reason: 'could not collect tests.test_x: collection failure',
        output: 'short output',
        cases: [
          { id: 'a::ok', name: 'ok', classname: 'a', outcome: 'passed' },
          {
            id: 'a::bad',
            name: 'bad',
            classname: 'a',
            outcome: 'failed',
            message: '\nassert 7 == 12\nmore',
          },
        ],
      },
      500,
    );
    expect(excerpt).toBe(
      'could not collect tests.test_x: collection failure\nFAILED a::bad: assert 7 == 12\nshort output',
    );
  });

  it('falls back to the tail when nothing looks like a failure', () => {
    const output = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const excerpt = failureExcerpt({ output, cases: null }, 300);
    expect(excerpt.length).toBeLessThanOrEqual(300);
    expect(excerpt).toContain('line 499');
    expect(excerpt.startsWith('[… output cut]')).toBe(true);
  });
});
