/**
 * Red (the Tester): write the smallest failing test for the current criterion. The changed files are
 * checked against the test globs, the suite runs in the sandbox, and the test is committed
 * (`test(#n): …`) when it fails for the criterion: a failing assertion, or a new test that fails to load
 * because the code lacks a name or module it uses (`load-failures.ts`). A test that passes at once goes
 * back to the Tester unless it says the criterion is already met (then it is committed and the criterion
 * marked met). After a dispute (`dispute.ts`) the Tester rewrites the test, or keeps it unchanged when it
 * still fails, which upholds it.
 */
import { RedResult } from '../pair-steps.js';
import { TESTER_SYSTEM } from '../prompts.js';
import type { SuiteRun } from '../run-suite.js';
import { runPhaseAgent } from './agent-step.js';
import { failAttempt, FEEDBACK_OUTPUT_CHARS } from './attempts.js';
import { checkBoundary, TAMPERED, tamperedDuringRun } from './boundary-guard.js';
import { openDispute, upholdTest } from './dispute.js';
import { failureExcerpt } from './failure-excerpt.js';
import { judgeLoadFailure } from './load-failures.js';
import type { PairRun } from './pair-run.js';
import { describeOutcome } from './progress.js';

/** One red step (see the module comment). */
export async function redPhase(run: PairRun): Promise<void> {
  const { cp } = run;
  const c = cp.criterion;
  const dispute = openDispute(run);
  const criterion = `criterion ${c + 1}: ${cp.criteria[c]?.text ?? ''}`;
  const outcome = await runPhaseAgent(run, {
    role: 'tester',
    system: TESTER_SYSTEM,
    schema: RedResult,
    task: dispute
      ? `The Developer disputes your test for ${criterion}. Rewrite the test so it checks the criterion, or, if it is right, leave it unchanged and finish, saying why in the summary.`
      : `Write the smallest failing test for ${criterion}`,
  });
  if (outcome.kind !== 'result') {
    return failAttempt(run, 'tester', describeOutcome(outcome), null);
  }
  const { changed } = await checkBoundary(run, 'tester');
  if (changed.length === 0 && !dispute) {
    return failAttempt(run, 'tester', 'no test file was written', null);
  }
  const suite = await run.suite();
  if (await tamperedDuringRun(run, 'tester')) {
    return failAttempt(run, 'tester', TAMPERED, suite);
  }
  const files = changed.length > 0 ? changed : currentTestFiles(run);
  let loadFailure = false;
  if (suite.status === 'broken') {
    const verdict = judgeLoadFailure(suite, files);
    if (!verdict.ok) {
      return failAttempt(
        run,
        'tester',
        `the new test does not compile or collect (${verdict.why})`,
        suite,
      );
    }
    loadFailure = true;
  }
  if (suite.status === 'passed' && !outcome.result.alreadyMet) {
    return failAttempt(
      run,
      'tester',
      'the new test passes already: the criterion is met (finish with alreadyMet: true) or the test is too weak',
      suite,
    );
  }
  if (dispute && changed.length === 0 && suite.status !== 'passed') {
    return upholdTest(run, dispute, outcome.result.summary, handoff(suite, loadFailure));
  }
  if (dispute) {
    dispute.upheld = false;
  }
  const alreadyMet = suite.status === 'passed';
  const failing = (suite.cases ?? [])
    .filter((t) => t.outcome === 'failed' || t.outcome === 'error')
    .map((t) => t.id);
  const summary = outcome.result.summary;
  const subject = alreadyMet
    ? `test(#${run.id}): ${summary} (already met)`
    : `test(#${run.id}): ${summary}`;
  await run.commit('red', 'tester', subject, {
    ...outcome.result,
    alreadyMet,
    failing,
    files,
    ...(loadFailure ? { loadFailure } : {}),
  });
  if (!alreadyMet) {
    cp.feedback = [handoff(suite, loadFailure)];
  }
}

/** The test files of the cycle's last red commit. */
function currentTestFiles(run: PairRun): string[] {
  return run.cp.cycles.find((l) => l.cycle === run.cp.cycle)?.red?.files ?? [];
}

/** What the Developer reads about the red run. */
function handoff(suite: SuiteRun, loadFailure: boolean): string {
  const head = loadFailure
    ? 'The new tests fail to load: the code lacks a name or module they use.'
    : 'Failing tests:';
  return `${head}\n${failureExcerpt(suite, FEEDBACK_OUTPUT_CHARS)}`;
}
