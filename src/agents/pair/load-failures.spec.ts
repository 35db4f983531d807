/** Load failures judged on real runner output (test/fixtures/engine/load-failures/, junit/). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJunit } from '../junit.js';
import { classify, type SuiteRun } from '../run-suite.js';
import { judgeLoadFailure, moduleForm, namesFile } from './load-failures.js';

const fixture = (name: string) => readFileSync(join('test/fixtures/engine', name), 'utf8');

/** A run as `runSuite` makes it from a report (or none) and the runner's output and exit code. */
function suite(exitCode: number, output: string, report?: string): SuiteRun {
  const cases = report === undefined ? null : parseJunit(report);
  return { exitCode, durationMs: 1, output, cases, ...classify(exitCode, cases) };
}

describe('judgeLoadFailure', () => {
  it('accepts pytest’s collection error of a new test importing a missing name (report and output)', () => {
    const output = fixture('load-failures/pytest-import-error.txt');
    const run = suite(2, output, fixture('load-failures/pytest-import-error.xml'));
    expect(run.status).toBe('broken');
    expect(judgeLoadFailure(run, ['tests/test_multiply.py'])).toEqual({
      ok: true,
      failures: [{ name: 'tests.test_multiply', message: 'collection failure' }],
    });
    // Without a report pytest's output names the file.
    const bare = suite(2, output);
    expect(judgeLoadFailure(bare, ['tests/test_multiply.py'])).toMatchObject({ ok: true });
  });

  it('refuses it when the file that fails to load is not one of the new tests', () => {
    const run = suite(
      2,
      fixture('load-failures/pytest-import-error.txt'),
      fixture('load-failures/pytest-import-error.xml'),
    );
    expect(judgeLoadFailure(run, ['tests/test_other.py'])).toEqual({
      ok: false,
      why: 'files other than the new tests fail to load (tests.test_multiply)',
    });
  });

  it('refuses a syntax error in the new test (pytest, vitest)', () => {
    const pytest = suite(
      2,
      fixture('load-failures/pytest-syntax-error.txt'),
      fixture('load-failures/pytest-syntax-error.xml'),
    );
    expect(judgeLoadFailure(pytest, ['tests/test_multiply.py'])).toEqual({
      ok: false,
      why: 'the new test has a syntax error',
    });
    const vitest = parseJunit(fixture('junit/vitest-mixed.xml'))!;
    const onlyBroken: SuiteRun = {
      status: 'broken',
      exitCode: 1,
      durationMs: 1,
      output: '',
      cases: vitest.filter((c) => c.classname === 'broken.spec.mjs'),
    };
    expect(judgeLoadFailure(onlyBroken, ['broken.spec.mjs'])).toMatchObject({ ok: false });
  });

  it('accepts a node --test file that imports a missing ESM export (Node calls it a SyntaxError)', () => {
    const run = suite(
      1,
      fixture('load-failures/node-missing-export.tap'),
      fixture('load-failures/node-missing-export.xml'),
    );
    expect(run.status).toBe('broken');
    expect(judgeLoadFailure(run, ['test/multiply.test.mjs'])).toMatchObject({ ok: true });
  });

  it('accepts vitest’s missing module, from the report or from coloured output', () => {
    const output = fixture('load-failures/vitest-missing-module.ansi.txt');
    const run = suite(1, output, fixture('load-failures/vitest-missing-module.xml'));
    expect(run.status).toBe('broken');
    expect(judgeLoadFailure(run, ['test/multiply.spec.js'])).toMatchObject({ ok: true });
    const bare: SuiteRun = { ...suite(1, output), status: 'broken' };
    expect(judgeLoadFailure(bare, ['test/multiply.spec.js'])).toMatchObject({
      ok: true,
      failures: [expect.objectContaining({ name: 'test/multiply.spec.js' })],
    });
  });

  it('accepts compiler diagnostics confined to the new test (tsc, go)', () => {
    const tsc = suite(2, fixture('load-failures/tsc-missing-export.txt'));
    expect(judgeLoadFailure(tsc, ['test/multiply.spec.ts'])).toMatchObject({ ok: true });
    const go = suite(2, fixture('load-failures/go-undefined.txt'));
    expect(judgeLoadFailure(go, ['multiply_test.go'])).toMatchObject({ ok: true });
    expect(judgeLoadFailure(go, ['calc_test.go'])).toMatchObject({ ok: false });
  });

  it('refuses runs broken for other reasons: timeouts, nothing reported, other tests failing', () => {
    const timedOut: SuiteRun = {
      status: 'broken',
      exitCode: 137,
      durationMs: 1,
      output: '',
      cases: null,
      reason: 'test command timed out',
    };
    expect(judgeLoadFailure(timedOut, ['tests/t.py'])).toEqual({
      ok: false,
      why: 'test command timed out',
    });
    expect(judgeLoadFailure(suite(4, 'usage: pytest'), ['tests/t.py'])).toEqual({
      ok: false,
      why: 'no test file was reported as failing to load',
    });
    const mixed = parseJunit(fixture('load-failures/pytest-import-error.xml'))!;
    mixed.push({
      id: 'tests.test_add::test_add',
      name: 'test_add',
      classname: 'tests.test_add',
      outcome: 'failed',
    });
    const others: SuiteRun = {
      status: 'broken',
      exitCode: 2,
      durationMs: 1,
      output: '',
      cases: mixed,
    };
    expect(judgeLoadFailure(others, ['tests/test_multiply.py'])).toEqual({
      ok: false,
      why: 'tests outside the new ones fail (tests.test_add::test_add)',
    });
  });
});

describe('namesFile', () => {
  it('matches a runner’s module, relative or absolute name to a repository path', () => {
    expect(moduleForm('/workspace/test/x.test.mjs')).toBe('test.x.test');
    expect(namesFile('tests.test_calc', 'tests/test_calc.py')).toBe(true);
    expect(namesFile('/workspace/test/x.test.mjs', 'test/x.test.mjs')).toBe(true);
    expect(namesFile('test/x.spec.ts', 'test/x.spec.ts')).toBe(true);
    expect(namesFile('tests.test_calc', 'tests/test_calculator.py')).toBe(false);
  });
});
