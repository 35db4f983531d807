import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTestOutput } from './parse-test-output.js';
import { cutMiddle, renderFailures, renderTestOutput } from './render-test-output.js';

const fixture = (name: string) => readFileSync(`test/fixtures/test-output/${name}.txt`, 'utf8');

describe('renderTestOutput', () => {
  it('keeps the failing test of a long TAP run within the budget, and its end survives a tail cut', () => {
    const output = fixture('node18-tap-long');
    const report = parseTestOutput(output);
    const text = renderTestOutput({ output, failures: report?.failures ?? [], budget: 2_500 });
    expect(text.length).toBeLessThanOrEqual(2_500);
    expect(text).toMatch(/\[… \d+ characters cut …\]/);
    const failing = text.slice(text.indexOf('Failing tests (1):'));
    expect(failing).toBe(
      'Failing tests (1):\n1. sub subtracts (test/a-calc.test.js:6)\n   AssertionError: Expected values to be strictly equal:\n   \n   8 !== 2\n   strictEqual: expected 2, actual 8',
    );
    // The runner's summary at the very end of the raw output is kept too.
    expect(text).toContain('# fail 1');
  });

  it('drops colour codes and keeps a short output whole', () => {
    const output = fixture('vitest');
    const text = renderTestOutput({ output, failures: [], budget: 10_000 });
    expect(text).not.toContain('\u001b[');
    expect(text).toContain('Tests  2 failed | 2 passed | 1 skipped (5)');
  });
});

describe('renderFailures', () => {
  const failure = (i: number) => ({
    name: `test_${i}`,
    message: 'x'.repeat(300),
    file: 'a.py',
    line: i,
  });

  it('lists what fits and says how many more failed', () => {
    const text = renderFailures(
      Array.from({ length: 10 }, (_, i) => failure(i + 1)),
      12,
      1_000,
    );
    expect(text.length).toBeLessThanOrEqual(1_000);
    expect(text.startsWith('Failing tests (12):\n1. test_1 (a.py:1)')).toBe(true);
    expect(text).toMatch(/\n2\. test_2 \(a\.py:2\)\n {3}x+\n… 10 more failing tests not shown$/);
  });

  it('always keeps the first failure, cut to the budget', () => {
    const text = renderFailures([{ name: 'test_x', message: 'y'.repeat(2_000) }], undefined, 200);
    expect(text.length).toBeLessThanOrEqual(200);
    expect(text).toContain('1. test_x');
  });
});

describe('cutMiddle', () => {
  it('keeps 30% head and 70% tail around an explicit marker', () => {
    const text = `${'a'.repeat(1_000)}${'b'.repeat(1_000)}`;
    const cut = cutMiddle(text, 500);
    expect(cut.length).toBeLessThanOrEqual(500);
    expect(cut).toMatch(/^a+\n\[… \d+ characters cut …\]\nb+$/);
    expect(cutMiddle('short', 500)).toBe('short');
  });
});
