/**
 * A failed phase attempt: the work-tree changes are discarded, what failed is logged (`tried`) and fed
 * into the next attempt, and after `budgets.attemptsPerPhase` failures the role escalates to the next
 * alias of its chain; an exhausted chain blocks the ticket (`escalation_exhausted`).
 */
import type { PairRole } from '../agent-models.js';
import type { SuiteRun } from '../run-suite.js';
import { BOUNDARY_NOTE_PREFIXES } from './boundary-guard.js';
import { failureExcerpt } from './failure-excerpt.js';
import type { PairRun } from './pair-run.js';
import { previousChange } from './previous-change.js';

/** Characters of test output carried into the next attempt's feedback. */
export const FEEDBACK_OUTPUT_CHARS = 3_000;

/**
 * Records a failed attempt of `role` (see the module comment). `failure` is the verification run that
 * failed, if any (a budgeted excerpt goes to the next attempt); `change` what the attempt changed, when
 * the caller already reset the work tree (default: read from the work tree before it is reset).
 */
export async function failAttempt(
  run: PairRun,
  role: PairRole,
  what: string,
  failure: SuiteRun | null = null,
  change?: string,
): Promise<void> {
  const { cp, o } = run;
  cp.previousChange = change ?? (await previousChange(run));
  await o.workspace.discardChanges();
  cp.attempts += 1;
  const alias = o.models.alias(role);
  cp.tried.push(`${cp.phase} cycle ${cp.cycle} attempt ${cp.attempts} (${alias}): ${what}`);
  cp.feedback = [
    // The boundary notes stay: the next attempt must know what was reverted or removed, and why.
    ...cp.feedback.filter((f) => BOUNDARY_NOTE_PREFIXES.some((p) => f.startsWith(p))),
    failure ? `${what}\n${failureExcerpt(failure, FEEDBACK_OUTPUT_CHARS)}` : what,
  ];
  await run.event('pair.attempt_failed', {
    role,
    phase: cp.phase,
    what,
    attempts: cp.attempts,
  });
  if (cp.attempts < o.policy.budgets.attemptsPerPhase) {
    return;
  }
  const next = o.models.escalate(role);
  if (next === null) {
    run.block('escalation_exhausted', what);
    return;
  }
  cp.escalations.push({ role, to: next, phase: cp.phase });
  cp.tried.push(`escalated ${role} to ${next}`);
  cp.attempts = 0;
  await run.event('pair.escalated', { role, to: next });
}
