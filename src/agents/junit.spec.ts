import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLoadFailure, parseJunit } from './junit.js';

/** Reports written by the real runners (see the folder). */
const sample = (name: string): string =>
  readFileSync(join('test/fixtures/engine/junit', `${name}.xml`), 'utf8');

const outcomes = (xml: string) =>
  parseJunit(xml)?.map((c) => [c.id, c.outcome, isLoadFailure(c)] as const);

describe('parseJunit', () => {
  it('reads pytest: passed, failed, skipped and a fixture error, with messages', () => {
    const cases = parseJunit(sample('pytest-mixed'))!;
    expect(outcomes(sample('pytest-mixed'))).toEqual([
      ['tests.test_mix::test_passes', 'passed', false],
      ['tests.test_mix::test_fails', 'failed', false],
      ['tests.test_mix::test_skipped', 'skipped', false],
      ['tests.test_mix::test_errors', 'error', false],
    ]);
    expect(cases[1]!.message).toBe('assert (3 * 4) == 7');
    expect(cases[3]!.message).toBe('failed on setup with "RuntimeError: fixture exploded"');
    expect(cases[0]).toMatchObject({ name: 'test_passes', classname: 'tests.test_mix' });
    // The failure text's innermost `path:line:` frame locates it.
    expect(cases[1]).toMatchObject({ file: 'tests/test_mix.py', line: 9 });
    expect(cases[3]).toMatchObject({ file: 'tests/test_mix.py', line: 19 });
    expect(cases[0]!.line).toBeUndefined();
  });

  it('reads a pytest collection error as a load failure', () => {
    expect(outcomes(sample('pytest-collection-error'))).toEqual([
      ['tests.test_syntax', 'error', true],
    ]);
  });

  it('reads vitest: describe-qualified names, failure, skip, and a spec file that does not parse', () => {
    expect(outcomes(sample('vitest-mixed'))).toEqual([
      ['broken.spec.mjs::broken.spec.mjs', 'failed', true],
      ['mix.spec.mjs::calc > adds', 'passed', false],
      ['mix.spec.mjs::calc > multiplies', 'failed', false],
      ['mix.spec.mjs::calc > later', 'skipped', false],
    ]);
    expect(parseJunit(sample('vitest-mixed'))![2]!.message).toBe(
      'expected 12 to be 7 // Object.is equality',
    );
  });

  it('reads node --test: nested suites, and a file that fails to load', () => {
    expect(outcomes(sample('node-mixed'))).toEqual([
      ['test::adds', 'passed', false],
      ['test::multiplies', 'failed', false],
      ['test::later', 'skipped', false],
    ]);
    expect(outcomes(sample('node-broken'))![0]).toEqual([
      'test::/src/broken.test.mjs',
      'failed',
      true,
    ]);
  });

  it('reads a bare <testsuite> root, entities and failure text without a message attribute', () => {
    const xml = `<testsuite name="go"><testcase classname="calc" name="TestA&amp;B"/>
      <testcase classname="calc" name="TestC"><failure>want 2, got 3</failure></testcase></testsuite>`;
    expect(parseJunit(xml)).toEqual([
      { id: 'calc::TestA&B', name: 'TestA&B', classname: 'calc', outcome: 'passed' },
      {
        id: 'calc::TestC',
        name: 'TestC',
        classname: 'calc',
        outcome: 'failed',
        message: 'want 2, got 3',
      },
    ]);
  });

  it('returns null for something that is not a JUnit report, and [] for an empty one', () => {
    expect(parseJunit('not xml at all <')).toBeNull();
    expect(parseJunit('<?xml version="1.0"?><coverage line-rate="1"/>')).toBeNull();
    expect(parseJunit('<testsuites name="pytest tests"></testsuites>')).toEqual([]);
  });
});
