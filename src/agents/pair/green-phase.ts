/**
 * Green (the Developer): make the failing tests pass with the minimal change. Test-file changes are
 * reverted and reported; the whole suite must pass, then the change is committed (`feat(#n): …`).
 */
import { GreenResult } from '../pair-steps.js';
import { DEVELOPER_SYSTEM } from '../prompts.js';
import { runPhaseAgent } from './agent-step.js';
import { failAttempt } from './attempts.js';
import { checkBoundary, TAMPERED, tamperedDuringRun } from './boundary-guard.js';
import type { PairRun } from './pair-run.js';
import { describeOutcome } from './progress.js';

/** One green step (see the module comment). */
export async function greenPhase(run: PairRun): Promise<void> {
  const outcome = await runPhaseAgent(run, {
    role: 'developer',
    system: DEVELOPER_SYSTEM,
    schema: GreenResult,
    task: 'Make the failing tests pass with the minimal change.',
  });
  if (outcome.kind !== 'result') {
    return failAttempt(run, 'developer', describeOutcome(outcome), '');
  }
  await checkBoundary(run, 'developer');
  const suite = await run.suite();
  const output = `${suite.reason ?? ''}\n${suite.output}`.trim();
  if (await tamperedDuringRun(run, 'developer')) {
    return failAttempt(run, 'developer', TAMPERED, output);
  }
  if (suite.status !== 'passed') {
    return failAttempt(run, 'developer', `the suite is ${suite.status} after the change`, output);
  }
  await run.commit('green', 'developer', `feat(#${run.id}): ${outcome.result.summary}`, {
    ...outcome.result,
  });
}
