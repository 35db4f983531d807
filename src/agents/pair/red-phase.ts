/**
 * Red (the Tester): write the smallest failing test for the current criterion. The changed files are
 * checked against the test globs, the suite runs in the sandbox, and the test is committed
 * (`test(#n): …`) when it fails for the criterion. A test that passes at once goes back to the Tester
 * unless it says the criterion is already met (then it is committed and the criterion marked met).
 */
import { RedResult } from '../pair-steps.js';
import { TESTER_SYSTEM } from '../prompts.js';
import { runPhaseAgent } from './agent-step.js';
import { failAttempt } from './attempts.js';
import { checkBoundary, TAMPERED, tamperedDuringRun } from './boundary-guard.js';
import type { PairRun } from './pair-run.js';
import { describeOutcome } from './progress.js';

/** Characters of the red run's output handed to the Developer. */
const FAILING_OUTPUT_CHARS = 3_000;

/** One red step (see the module comment). */
export async function redPhase(run: PairRun): Promise<void> {
  const { cp } = run;
  const c = cp.criterion;
  const outcome = await runPhaseAgent(run, {
    role: 'tester',
    system: TESTER_SYSTEM,
    schema: RedResult,
    task: `Write the smallest failing test for criterion ${c + 1}: ${cp.criteria[c]?.text ?? ''}`,
  });
  if (outcome.kind !== 'result') {
    return failAttempt(run, 'tester', describeOutcome(outcome), '');
  }
  const { changed } = await checkBoundary(run, 'tester');
  if (changed.length === 0) {
    return failAttempt(run, 'tester', 'no test file was written', '');
  }
  const suite = await run.suite();
  const output = `${suite.reason ?? ''}\n${suite.output}`.trim();
  if (await tamperedDuringRun(run, 'tester')) {
    return failAttempt(run, 'tester', TAMPERED, output);
  }
  if (suite.status === 'broken') {
    return failAttempt(run, 'tester', 'the new test does not compile or collect', output);
  }
  if (suite.status === 'passed' && !outcome.result.alreadyMet) {
    return failAttempt(
      run,
      'tester',
      'the new test passes already: the criterion is met (finish with alreadyMet: true) or the test is too weak',
      output,
    );
  }
  const alreadyMet = suite.status === 'passed';
  const failing = (suite.cases ?? [])
    .filter((t) => t.outcome === 'failed' || t.outcome === 'error')
    .map((t) => t.id);
  const summary = outcome.result.summary;
  const subject = alreadyMet
    ? `test(#${run.id}): ${summary} (already met)`
    : `test(#${run.id}): ${summary}`;
  await run.commit('red', 'tester', subject, { ...outcome.result, alreadyMet, failing });
  if (suite.status === 'failed') {
    cp.feedback = [`Failing tests:\n${output.slice(-FAILING_OUTPUT_CHARS)}`];
  }
}
