import { describe, expect, it } from 'vitest';
import { boundaryViolations, isTestFile, mayWrite } from './file-boundary.js';

const PY = ['tests/**'];
const DEFAULTS = ['**/*.test.*', '**/*.spec.*', '**/__tests__/**', '**/test_*.py', '**/tests/**'];

describe('file boundaries', () => {
  it('recognises test files by the policy globs, dotfiles included', () => {
    expect(isTestFile('tests/test_add.py', PY)).toBe(true);
    expect(isTestFile('tests/.fixtures/data.json', PY)).toBe(true);
    expect(isTestFile('calc.py', PY)).toBe(false);
    expect(isTestFile('src/tests.py', PY)).toBe(false);
    expect(isTestFile('src/add.test.ts', DEFAULTS)).toBe(true);
    expect(isTestFile('pkg/__tests__/a.js', DEFAULTS)).toBe(true);
    expect(isTestFile('pkg/test_util.py', DEFAULTS)).toBe(true);
    expect(isTestFile('src/latest.ts', DEFAULTS)).toBe(false);
  });

  it('the tester writes tests only, the developer everything but tests', () => {
    expect(mayWrite('tester', 'tests/test_x.py', PY)).toBe(true);
    expect(mayWrite('tester', 'calc.py', PY)).toBe(false);
    expect(mayWrite('developer', 'calc.py', PY)).toBe(true);
    expect(mayWrite('developer', 'tests/test_x.py', PY)).toBe(false);
  });

  it('lists the changed paths a role may not touch', () => {
    const changed = ['calc.py', 'README.md', 'tests/test_x.py', 'tests/conftest.py'];
    expect(boundaryViolations('developer', changed, PY)).toEqual([
      'tests/test_x.py',
      'tests/conftest.py',
    ]);
    expect(boundaryViolations('tester', changed, PY)).toEqual(['calc.py', 'README.md']);
    expect(boundaryViolations('tester', [], PY)).toEqual([]);
  });
});
