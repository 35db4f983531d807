/**
 * Role file boundaries: the policy's `sandbox.testGlobs` (minimatch, repository-relative, dotfiles
 * included) decide which files are tests. The Tester may change test files only; the Developer never
 * changes a test file.
 */
import { minimatch } from 'minimatch';
import type { PairRole } from './agent-models.js';

/** True when `path` (repository-relative, `/` separators) matches one of `testGlobs`. */
export function isTestFile(path: string, testGlobs: readonly string[]): boolean {
  return testGlobs.some((glob) => minimatch(path, glob, { dot: true }));
}

/** True when `role` may change `path`. */
export function mayWrite(role: PairRole, path: string, testGlobs: readonly string[]): boolean {
  return role === 'tester' ? isTestFile(path, testGlobs) : !isTestFile(path, testGlobs);
}

/** The paths among `changed` that `role` may not change. */
export function boundaryViolations(
  role: PairRole,
  changed: readonly string[],
  testGlobs: readonly string[],
): string[] {
  return changed.filter((path) => !mayWrite(role, path, testGlobs));
}
