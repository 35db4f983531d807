import { describe, expect, it } from 'vitest';
import type { TestCase } from '../agents/junit.js';
import { junitIdOf, outcomesOf } from './test-ids.js';

const kase = (id: string, outcome: TestCase['outcome']): TestCase => {
  const [classname, name] = id.split('::') as [string, string];
  return { id, classname, name, outcome };
};

describe('junitIdOf', () => {
  it('turns pytest node ids into the classname::name pytest writes', () => {
    expect(junitIdOf('more_itertools/tests/test_more.py::BatchedTests::test_basic')).toBe(
      'more_itertools.tests.test_more.BatchedTests::test_basic',
    );
    expect(junitIdOf('tests/test_x.py::test_y[a::b-1]')).toBe('tests.test_x::test_y[a::b-1]');
    expect(junitIdOf('test_top.py::test_z')).toBe('test_top::test_z');
  });

  it('leaves JUnit ids and file ids alone', () => {
    expect(junitIdOf('semver comparisons::compares')).toBe('semver comparisons::compares');
    expect(junitIdOf('test/functions/clean.js')).toBe('test/functions/clean.js');
  });
});

describe('outcomesOf', () => {
  it('matches exactly, reports missing tests, keeps the worst of duplicates', () => {
    const cases = [
      kase('tests.test_x::test_a', 'passed'),
      kase('tests.test_x::test_b', 'passed'),
      kase('tests.test_x::test_b', 'failed'),
      kase('tests.test_x::test_ab', 'passed'),
    ];
    expect(
      outcomesOf(
        ['tests/test_x.py::test_a', 'tests/test_x.py::test_b', 'tests/test_x.py::test_c'],
        cases,
      ),
    ).toEqual({
      'tests/test_x.py::test_a': 'passed',
      'tests/test_x.py::test_b': 'failed',
      'tests/test_x.py::test_c': 'missing',
    });
    // No suffix matching: test_b does not stand in for a listed "b".
    expect(outcomesOf(['b'], cases)).toEqual({ b: 'missing' });
  });
});
