import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTestOutput } from './parse-test-output.js';

/** Real runner output (test/fixtures/test-output/README.md says how each was made). */
const fixture = (name: string) => readFileSync(`test/fixtures/test-output/${name}.txt`, 'utf8');

describe('parseTestOutput on real runner output', () => {
  it('node --test (TAP): leaf failures with the assertion site, counts from the summary', () => {
    expect(parseTestOutput(fixture('node18-tap'))).toEqual({
      runner: 'tap',
      passed: 3,
      failed: 2,
      skipped: 1,
      failures: [
        {
          name: 'sub subtracts',
          message:
            'AssertionError: Expected values to be strictly equal:\n\n8 !== 2\nstrictEqual: expected 2, actual 8',
          file: 'test/calc.test.js',
          line: 15,
        },
        {
          name: 'div by zero returns Infinity',
          message: 'RangeError: division by zero',
          file: 'calc.js',
          line: 3,
        },
      ],
    });
  });

  it('node --test: a file that cannot load is a failure with its own error output', () => {
    const report = parseTestOutput(fixture('node18-tap-broken'));
    expect(report?.failures[0]).toEqual({
      name: '/workspace/test/broken.test.js',
      message:
        '/workspace/test/broken.test.js:3\n  add(1, 2\n         ^\nSyntaxError: missing ) after argument list',
      file: 'test/broken.test.js',
      line: 3,
    });
    expect(report).toMatchObject({ failed: 3, passed: 3 });
  });

  it('node --test: the failure at the top of a long run is found (the old tail cut lost it)', () => {
    const output = fixture('node18-tap-long');
    expect(output.slice(-3_000)).not.toContain('not ok');
    expect(parseTestOutput(output)).toMatchObject({
      passed: 120,
      failed: 1,
      failures: [{ name: 'sub subtracts', file: 'test/a-calc.test.js', line: 6 }],
    });
  });

  it('tape: assertions named by their test, operator/expected/actual as the message', () => {
    expect(parseTestOutput(fixture('tape'))).toEqual({
      runner: 'tap',
      passed: 2,
      failed: 1,
      skipped: 1,
      failures: [
        {
          name: 'sub subtracts > five minus three',
          message: 'equal: expected 2, actual 8',
          file: 'test2/calc.test.js',
          line: 11,
        },
      ],
    });
  });

  it('tape: an exception that ends the process is a failure of the running test', () => {
    const report = parseTestOutput(fixture('tape-crash'));
    expect(report?.failures.map((f) => f.name)).toEqual([
      'sub subtracts > five minus three',
      'div by zero returns Infinity',
    ]);
    expect(report?.failures[1]).toEqual({
      name: 'div by zero returns Infinity',
      message: 'the test process crashed: RangeError: division by zero',
      file: 'calc.js',
      line: 3,
    });
  });

  it('pytest (default and -q): node ids, E-lines as the message, the innermost frame', () => {
    for (const name of ['pytest', 'pytest-q']) {
      expect(parseTestOutput(fixture(name))).toEqual({
        runner: 'pytest',
        passed: 2,
        failed: 2,
        skipped: 1,
        failures: [
          {
            name: 'tests/test_calc.py::test_sub_subtracts',
            message: 'assert 8 == 2\n+  where 8 = sub(5, 3)',
            file: 'tests/test_calc.py',
            line: 15,
          },
          {
            name: 'tests/test_calc.py::test_div_by_zero_returns_infinity',
            message: 'ZeroDivisionError: division by zero',
            file: 'calc.py',
            line: 11,
          },
        ],
      });
    }
  });

  it('pytest: a collection error is a failure of the module', () => {
    expect(parseTestOutput(fixture('pytest-collection-error'))).toEqual({
      runner: 'pytest',
      passed: 0,
      failed: 1,
      skipped: 0,
      failures: [
        {
          name: 'tests/test_mul.py',
          message:
            "ImportError while importing test module '/workspace/tests/test_mul.py'.\nImportError: cannot import name 'mul' from 'calc' (/workspace/calc.py)",
          file: 'tests/test_mul.py',
          line: 1,
        },
      ],
    });
  });

  it('pytest -v: the failure among 150 passing tests', () => {
    expect(parseTestOutput(fixture('pytest-verbose-long'))).toMatchObject({
      passed: 150,
      failed: 1,
      failures: [{ name: 'tests/test_many.py::test_sub_subtracts', line: 12 }],
    });
  });

  it('jest: failure blocks, message before the code frame, first own stack frame', () => {
    expect(parseTestOutput(fixture('jest'))).toEqual({
      runner: 'jest',
      passed: 2,
      failed: 2,
      skipped: 1,
      failures: [
        {
          name: 'sub › subtracts',
          message:
            'expect(received).toBe(expected) // Object.is equality\n\nExpected: 2\nReceived: 8',
          file: 'jtest/calc.test.js',
          line: 15,
        },
        {
          name: 'div › by zero returns Infinity',
          message: 'RangeError: division by zero',
          file: 'calc.js',
          line: 3,
        },
      ],
    });
  });

  it('vitest (coloured, as with CI=true): failure blocks with the diff and the ❯ location', () => {
    expect(parseTestOutput(fixture('vitest'))).toEqual({
      runner: 'vitest',
      passed: 2,
      failed: 2,
      skipped: 1,
      failures: [
        {
          name: 'test/calc.test.ts > sub > subtracts',
          message:
            'AssertionError: expected 8 to be 2 // Object.is equality\n\n- Expected\n+ Received\n\n- 2\n+ 8',
          file: 'test/calc.test.ts',
          line: 15,
        },
        {
          name: 'test/calc.test.ts > div > by zero returns Infinity',
          message: 'RangeError: division by zero',
          file: 'calc.ts',
          line: 4,
        },
      ],
    });
  });

  it('mocha: numbered failures with multi-line titles', () => {
    expect(parseTestOutput(fixture('mocha'))).toEqual({
      runner: 'mocha',
      passed: 2,
      failed: 2,
      skipped: 1,
      failures: [
        {
          name: 'sub subtracts',
          message:
            'AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n\n8 !== 2\n\n+ expected - actual\n\n-8\n+2',
          file: 'mtest/calc.spec.js',
          line: 15,
        },
        {
          name: 'div by zero returns Infinity',
          message: 'RangeError: division by zero',
          file: 'calc.js',
          line: 3,
        },
      ],
    });
  });

  it('go test: log lines after the result (plain) or before it (-v); counts only with -v', () => {
    const failures = [
      { name: 'TestSub', message: 'Sub(5, 3) = 8; want 2', file: 'calc_test.go', line: 20 },
      {
        name: 'TestDivByZero',
        message: 'Div(1, 0) returned no error',
        file: 'calc_test.go',
        line: 26,
      },
    ];
    expect(parseTestOutput(fixture('go-test'))).toEqual({
      runner: 'go',
      passed: null,
      failed: 2,
      skipped: null,
      failures,
    });
    expect(parseTestOutput(fixture('go-test-v'))).toEqual({
      runner: 'go',
      passed: 3,
      failed: 2,
      skipped: 1,
      failures,
    });
  });

  it('go test: a panic is the message of the test that panicked, at its own frame', () => {
    expect(parseTestOutput(fixture('go-test-panic'))?.failures[1]).toEqual({
      name: 'TestDivByZero',
      message: 'panic: assignment to entry in nil map [recovered]',
      file: '/tmp/aci-fix/go/calc_test.go',
      line: 26,
    });
  });

  it('returns null for output no parser knows', () => {
    expect(parseTestOutput('make: *** [test] Error 2\n')).toBeNull();
    expect(parseTestOutput('')).toBeNull();
  });
});
