/**
 * The role boundary, checked after every phase and again after every verification run: files outside the
 * role's boundary (policy test globs) and protected files are reverted, nested git repositories the
 * workspace removed are reported, and each kind becomes a note in the next attempt's feedback and an event.
 * Code run by the suite can write any file of the workspace (e.g. rewrite a test when it is imported), so a
 * violation found after a run means its verdict cannot be trusted.
 */
import type { PairRole } from '../agent-models.js';
import { boundaryViolations, protectedViolations } from '../file-boundary.js';
import type { PairRun } from './pair-run.js';

/** When the check runs: after the agent's phase, or after a verification run of the suite. */
export type CheckMoment = 'phase' | 'test_run';

/** Feedback notes that stay in the next attempt's feedback when an attempt fails. */
export const BOUNDARY_NOTE_PREFIXES: readonly string[] = ['Reverted', 'Removed'];

/** The words an agent reads about what was reverted or removed, one note per kind found. */
export function boundaryNotes(
  role: PairRole,
  found: { outside: readonly string[]; guarded: readonly string[]; removed: readonly string[] },
  during: CheckMoment,
): string[] {
  const how = during === 'test_run' ? ' (made by your code while the tests ran)' : '';
  const notes: string[] = [];
  if (found.outside.length > 0) {
    const list = found.outside.join(', ');
    notes.push(
      role === 'developer'
        ? `Reverted your changes to test files${how} (${list}): the developer never changes tests.`
        : `Reverted your changes to non-test files${how} (${list}): the tester changes tests only.`,
    );
  }
  if (found.guarded.length > 0) {
    notes.push(
      `Reverted your changes to protected files${how} (${found.guarded.join(', ')}): no agent changes CI workflows, Tandem's policy, CODEOWNERS, .gitmodules or .gitattributes.`,
    );
  }
  if (found.removed.length > 0) {
    notes.push(
      `Removed nested git repositories${how} (${found.removed.join(', ')}): no git repository, submodule or .git file may be created inside the workspace.`,
    );
  }
  return notes;
}

/**
 * Reverts files outside the role's boundary and protected files, reports the nested git repositories
 * the workspace removed before reading the tree, and tells the agent (feedback of its next attempt).
 * Returns the changed paths that remain and the violations found (all three kinds).
 */
export async function checkBoundary(
  run: PairRun,
  role: PairRole,
  during: CheckMoment = 'phase',
): Promise<{ changed: string[]; violations: string[] }> {
  const { workspace, policy, protectedPaths } = run.o;
  const changed = (await workspace.changedFiles()).map((f) => f.path);
  const removed = workspace.takeRemovedRepositories();
  const outside = boundaryViolations(role, changed, policy.sandbox.testGlobs);
  const guarded = protectedViolations(changed, protectedPaths).filter((p) => !outside.includes(p));
  const reverted = [...outside, ...guarded];
  if (reverted.length > 0) {
    await workspace.restore(reverted);
  }
  run.cp.feedback.push(...boundaryNotes(role, { outside, guarded, removed }, during));
  if (outside.length > 0) {
    await run.event('pair.boundary_violation', { role, paths: outside, during });
  }
  if (guarded.length > 0) {
    await run.event('pair.protected_path_violation', { role, paths: guarded, during });
  }
  if (removed.length > 0) {
    await run.event('pair.nested_repository_removed', { role, paths: removed, during });
  }
  return {
    changed: changed.filter((p) => !reverted.includes(p)),
    violations: [...reverted, ...removed],
  };
}

/** What an attempt is told when its verification run changed files outside the role. */
export const TAMPERED =
  'files outside your role changed while the tests ran; they were reverted and the run does not count';

/** The boundary check after a verification run; true when the run's verdict cannot be trusted. */
export async function tamperedDuringRun(run: PairRun, role: PairRole): Promise<boolean> {
  return (await checkBoundary(run, role, 'test_run')).violations.length > 0;
}
