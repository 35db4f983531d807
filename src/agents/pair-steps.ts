/**
 * The pure parts of the pair protocol: phase result schemas and the checkpoint transitions a commit makes
 * (shared by the live path and by a resumed run adopting a commit it finds on the branch).
 */
import { z } from 'zod';
import type { Checkpoint, PendingCommit } from './checkpoint.js';
import type { SuiteRun } from './run-suite.js';

/**
 * The phase results are the `finish` tool's parameters. Each field's `.describe()` text is the one source
 * of what the field means: it travels in the tool's JSON schema and is written into the role's system
 * prompt (`finishInstructions` in prompts.ts), so the prompt can never ask for a field the schema lacks.
 */

/** The Tester's red-phase result. */
export const RedResult = z.object({
  tests: z
    .array(z.string().min(1))
    .min(1)
    .describe(
      'Names of the tests you wrote for this criterion, as the test runner reports them (e.g. test_add).',
    ),
  summary: z
    .string()
    .min(1)
    .max(200)
    .describe('One line for the commit subject: what the tests check.'),
  alreadyMet: z
    .boolean()
    .optional()
    .describe(
      'true only when the code already meets the criterion and your test passes as it is (no developer step follows).',
    ),
});
export type RedResult = z.infer<typeof RedResult>;

/** The Developer's green-phase result. */
export const GreenResult = z.object({
  summary: z
    .string()
    .min(1)
    .max(200)
    .describe('One line for the commit subject: what your change does.'),
  refactor: z
    .boolean()
    .optional()
    .describe(
      'true to ask for a separate refactor step, only when a clean-up is clearly worth it.',
    ),
  dispute: z
    .string()
    .min(10)
    .max(2_000)
    .optional()
    .describe(
      'Only when a test is wrong (it contradicts the criterion, or cannot pass without changing it): name the test and say why. Your changes are dropped and the test goes back to the Tester.',
    ),
});
export type GreenResult = z.infer<typeof GreenResult>;

/** The Developer's refactor result. */
export const RefactorResult = z.object({
  summary: z
    .string()
    .min(1)
    .max(200)
    .describe('One line for the commit subject: what the refactor improves.'),
});
export type RefactorResult = z.infer<typeof RefactorResult>;

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** Moves to the next open criterion (a new cycle), or to the final check when none is left. */
export function advance(cp: Checkpoint): void {
  const next = cp.criteria.findIndex((c) => c.status === 'open');
  cp.attempts = 0;
  cp.feedback = [];
  cp.previousChange = '';
  cp.refactorRequested = false;
  if (next < 0) {
    cp.phase = 'final';
    return;
  }
  cp.criterion = next;
  cp.cycle += 1;
  cp.phase = 'red';
}

/**
 * Applies the transition of a phase's commit (`sha` null when there was nothing to commit, or a dropped
 * refactor) to the checkpoint: cycle log, criterion mapping and the next phase.
 */
export function applyCommit(cp: Checkpoint, pending: PendingCommit, sha: string | null): void {
  let log = cp.cycles.find((l) => l.cycle === pending.cycle);
  if (!log) {
    log = { cycle: pending.cycle, criterion: cp.criterion, attempts: {}, testMs: 0 };
    cp.cycles.push(log);
  }
  log.attempts[pending.phase] = cp.attempts + 1;
  const summary = typeof pending.result.summary === 'string' ? pending.result.summary : '';
  const criterion = cp.criteria[log.criterion];
  cp.previousChange = '';
  if (pending.phase === 'red') {
    log.red = {
      commit: sha ?? '',
      failing: strings(pending.result.failing),
      summary,
      files: strings(pending.result.files),
      ...(pending.result.loadFailure === true ? { loadFailure: true } : {}),
    };
    if (criterion) {
      criterion.tests = strings(pending.result.tests);
    }
    if (pending.result.alreadyMet === true) {
      log.alreadyMet = true;
      if (criterion) {
        criterion.status = 'met';
      }
      advance(cp);
      return;
    }
    cp.phase = 'green';
    cp.attempts = 0;
    cp.feedback = [];
    return;
  }
  if (pending.phase === 'green') {
    log.green = { commit: sha ?? '', summary };
    if (criterion) {
      criterion.status = 'met';
    }
    if (pending.result.refactor === true) {
      cp.phase = 'refactor';
      cp.attempts = 0;
      cp.feedback = [];
      cp.refactorRequested = true;
      return;
    }
    advance(cp);
    return;
  }
  if (sha) {
    log.refactor = { commit: sha, summary };
  }
  advance(cp);
}

/** True when a runner-reported test case is the test `name` a tester claimed. */
export function testMatches(name: string, c: { id: string; name: string }): boolean {
  return c.id === name || c.name === name || c.id.endsWith(name) || name.endsWith(`::${c.name}`);
}

/**
 * The first criterion not mapped to a passing test in `suite`, or null when all are. Without per-test
 * outcomes (no JUnit report) a met criterion with named tests counts as mapped once the suite passed.
 */
export function unmatchedTests(cp: Checkpoint, suite: SuiteRun): number | null {
  for (const [i, criterion] of cp.criteria.entries()) {
    if (criterion.status !== 'met' || criterion.tests.length === 0) {
      return i;
    }
    if (suite.cases === null) {
      continue;
    }
    const passing = suite.cases.filter((c) => c.outcome === 'passed');
    if (!criterion.tests.some((t) => passing.some((c) => testMatches(t, c)))) {
      return i;
    }
  }
  return null;
}
