import { describe, expect, it } from 'vitest';
import {
  boundaryViolations,
  isProtectedPath,
  isTestFile,
  mayWrite,
  protectedViolations,
} from './file-boundary.js';

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

  it('protects CI, policy, CODEOWNERS, .gitmodules and .gitattributes for every role', () => {
    for (const path of [
      '.github/workflows/ci.yml',
      '.github/workflows/nested/deploy.yaml',
      '.github/actions/setup/action.yml',
      '.gitea/workflows/ci.yml',
      '.forgejo/workflows/ci.yml',
      '.github/tandem.yml',
      '.gitea/tandem.yml',
      '.tandem.yml',
      'CODEOWNERS',
      '.github/CODEOWNERS',
      '.gitea/CODEOWNERS',
      'docs/CODEOWNERS',
      '.gitmodules',
      '.gitattributes',
      'src/vendor/.gitattributes',
      // Case variants: a case-insensitive checkout would read them as the real thing.
      '.GitHub/Workflows/ci.yml',
      'codeowners',
    ]) {
      expect(isProtectedPath(path), path).toBe(true);
    }
    for (const path of ['src/workflows/ci.yml', 'docs/tandem.yml', 'README.md', 'x/CODEOWNERS']) {
      expect(isProtectedPath(path), path).toBe(false);
    }
    // A test glob that happens to match a workflow does not make it writable.
    expect(mayWrite('tester', '.github/workflows/ci.test.yml', DEFAULTS)).toBe(true);
    expect(protectedViolations(['.github/workflows/ci.test.yml', 'a.test.ts'])).toEqual([
      '.github/workflows/ci.test.yml',
    ]);
  });

  it("adds the operator's globs to the protected paths", () => {
    expect(isProtectedPath('deploy/prod.env')).toBe(false);
    expect(isProtectedPath('deploy/prod.env', ['deploy/**'])).toBe(true);
    expect(protectedViolations(['deploy/a', 'src/b', '.gitmodules'], ['deploy/**'])).toEqual([
      'deploy/a',
      '.gitmodules',
    ]);
  });
});
