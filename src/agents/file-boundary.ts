/**
 * Role file boundaries: the policy's `sandbox.testGlobs` (minimatch, repository-relative, dotfiles
 * included) decide which files are tests. The Tester may change test files only; the Developer never
 * changes a test file. Neither role ever changes a protected path ({@link PROTECTED_PATHS}, plus the
 * operator's `TANDEM_PROTECTED_PATHS`).
 */
import { minimatch } from 'minimatch';
import { POLICY_PATHS } from '../config/repo-policy.js';
import type { PairRole } from './agent-models.js';

/**
 * Paths no agent may change, whatever its role (minimatch, repository-relative, case-insensitive):
 * - CI definitions, which a forge runs on a pushed branch before anyone reviews it, often with
 *   repository secrets: GitHub, Gitea and Forgejo workflows, and GitHub's local actions they call;
 * - Tandem's own policy (models, budgets, test command, test globs: the rules the agents work under);
 * - `CODEOWNERS` in every place GitHub and Gitea look for it (who must approve a change);
 * - `.gitmodules` (submodule URLs and commands for whoever clones the branch);
 * - `.gitattributes` at any depth: it picks filters, diff and merge drivers on reviewers' and CI's
 *   machines, and can hide a change from review (`-diff`, `linguist-generated` collapses it on GitHub).
 */
export const PROTECTED_PATHS: readonly string[] = [
  '.github/workflows/**',
  '.github/actions/**',
  '.gitea/workflows/**',
  '.forgejo/workflows/**',
  ...POLICY_PATHS,
  'CODEOWNERS',
  '.github/CODEOWNERS',
  '.gitea/CODEOWNERS',
  'docs/CODEOWNERS',
  '.gitmodules',
  '**/.gitattributes',
];

/** True when `path` (repository-relative, `/` separators) matches one of `testGlobs`. */
export function isTestFile(path: string, testGlobs: readonly string[]): boolean {
  return testGlobs.some((glob) => minimatch(path, glob, { dot: true }));
}

/** True when `path` is protected: one of {@link PROTECTED_PATHS} or of `extra` (the operator's globs). */
export function isProtectedPath(path: string, extra: readonly string[] = []): boolean {
  return [...PROTECTED_PATHS, ...extra].some((glob) =>
    minimatch(path, glob, { dot: true, nocase: true }),
  );
}

/** True when `role` may change `path` (test globs only; see {@link isProtectedPath} for both roles). */
export function mayWrite(role: PairRole, path: string, testGlobs: readonly string[]): boolean {
  return role === 'tester' ? isTestFile(path, testGlobs) : !isTestFile(path, testGlobs);
}

/** The paths among `changed` that `role` may not change (test globs only). */
export function boundaryViolations(
  role: PairRole,
  changed: readonly string[],
  testGlobs: readonly string[],
): string[] {
  return changed.filter((path) => !mayWrite(role, path, testGlobs));
}

/** The paths among `changed` that no agent may change (see {@link isProtectedPath}). */
export function protectedViolations(
  changed: readonly string[],
  extra: readonly string[] = [],
): string[] {
  return changed.filter((path) => isProtectedPath(path, extra));
}
