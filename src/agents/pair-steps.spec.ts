import { describe, expect, it } from 'vitest';
import { Checkpoint } from './checkpoint.js';
import { applyCommit, testMatches, unmatchedTests } from './pair-steps.js';
import type { SuiteRun } from './run-suite.js';

const fresh = (criteria = ['multiply', 'subtract']): Checkpoint =>
  Checkpoint.parse({
    version: 1,
    phase: 'red',
    cycle: 1,
    criterion: 0,
    attempts: 0,
    baseCommit: 'base',
    lastCommit: 'base',
    criteria: criteria.map((text) => ({ text, status: 'open', tests: [] })),
    cycles: [],
  });

const suite = (cases: SuiteRun['cases']): SuiteRun => ({
  status: 'passed',
  exitCode: 0,
  durationMs: 1,
  cases,
  output: '',
});

describe('applyCommit', () => {
  it('red → green → next criterion, logging the cycle', () => {
    const cp = fresh();
    applyCommit(
      cp,
      {
        phase: 'red',
        cycle: 1,
        result: {
          tests: ['test_mul'],
          summary: 's',
          failing: ['t::test_mul'],
          files: ['tests/test_mul.py'],
        },
      },
      'r1',
    );
    expect(cp).toMatchObject({ phase: 'green', cycle: 1, attempts: 0 });
    expect(cp.criteria[0]!.tests).toEqual(['test_mul']);
    cp.attempts = 1; // one failed green attempt before this one
    applyCommit(cp, { phase: 'green', cycle: 1, result: { summary: 'impl' } }, 'g1');
    expect(cp).toMatchObject({ phase: 'red', cycle: 2, criterion: 1, feedback: [] });
    expect(cp.criteria[0]!.status).toBe('met');
    expect(cp.cycles).toEqual([
      expect.objectContaining({
        cycle: 1,
        criterion: 0,
        red: { commit: 'r1', failing: ['t::test_mul'], summary: 's', files: ['tests/test_mul.py'] },
        green: { commit: 'g1', summary: 'impl' },
        attempts: { red: 1, green: 2 },
      }),
    ]);
  });

  it('an already-met red skips green; the last criterion leads to the final check', () => {
    const cp = fresh(['add']);
    applyCommit(
      cp,
      { phase: 'red', cycle: 1, result: { tests: ['test_add'], summary: 's', alreadyMet: true } },
      'r1',
    );
    expect(cp.phase).toBe('final');
    expect(cp.cycles[0]!.alreadyMet).toBe(true);
  });

  it('a green asking for a refactor goes to refactor; a dropped refactor (no sha) is not logged', () => {
    const cp = fresh(['add']);
    applyCommit(cp, { phase: 'red', cycle: 1, result: { tests: ['t'], summary: 's' } }, 'r1');
    applyCommit(cp, { phase: 'green', cycle: 1, result: { summary: 'g', refactor: true } }, 'g1');
    expect(cp).toMatchObject({ phase: 'refactor', refactorRequested: true });
    applyCommit(cp, { phase: 'refactor', cycle: 1, result: { summary: '' } }, null);
    expect(cp.phase).toBe('final');
    expect(cp.cycles[0]!.refactor).toBeUndefined();
  });
});

describe('criteria ↔ tests', () => {
  it('matches claimed names by id, name or suffix', () => {
    const c = { id: 'tests.test_mul::test_mul', name: 'test_mul' };
    expect(testMatches('test_mul', c)).toBe(true);
    expect(testMatches('tests.test_mul::test_mul', c)).toBe(true);
    expect(testMatches('tests/test_mul.py::test_mul', c)).toBe(true);
    expect(testMatches('test_div', c)).toBe(false);
  });

  it('finds the first criterion without a passing test', () => {
    const cp = fresh();
    cp.criteria = [
      { text: 'multiply', status: 'met', tests: ['test_mul'] },
      { text: 'subtract', status: 'met', tests: ['test_sub'] },
    ];
    const passed = (name: string) => ({
      id: `t::${name}`,
      name,
      classname: 't',
      outcome: 'passed' as const,
    });
    const failed = (name: string) => ({ ...passed(name), outcome: 'failed' as const });
    expect(unmatchedTests(cp, suite([passed('test_mul'), passed('test_sub')]))).toBeNull();
    expect(unmatchedTests(cp, suite([passed('test_mul'), failed('test_sub')]))).toBe(1);
    expect(unmatchedTests(cp, suite([passed('test_sub')]))).toBe(0);
    // Without per-test outcomes a met criterion with named tests counts once the suite passed.
    expect(unmatchedTests(cp, suite(null))).toBeNull();
    cp.criteria[1]!.status = 'open';
    expect(unmatchedTests(cp, suite(null))).toBe(1);
  });
});
