/**
 * Refactor (the Developer, optional, asked for by a green result): improve the code without changing
 * behaviour. Committed (`refactor(#n): …`) only when the suite stays green and nothing outside the role
 * changed during the run; otherwise the changes are dropped and the cycle moves on.
 */
import { applyCommit, RefactorResult } from '../pair-steps.js';
import { REFACTOR_SYSTEM } from '../prompts.js';
import { runPhaseAgent } from './agent-step.js';
import { checkBoundary, tamperedDuringRun } from './boundary-guard.js';
import type { PairRun } from './pair-run.js';
import { describeOutcome } from './progress.js';

/** One refactor step (see the module comment). */
export async function refactorPhase(run: PairRun): Promise<void> {
  const outcome = await runPhaseAgent(run, {
    role: 'developer',
    system: REFACTOR_SYSTEM,
    schema: RefactorResult,
    task: 'Refactor without changing behaviour; the suite must stay green.',
  });
  await checkBoundary(run, 'developer');
  const suite = outcome.kind === 'result' ? await run.suite() : null;
  const tampered = suite !== null && (await tamperedDuringRun(run, 'developer'));
  if (outcome.kind === 'result' && suite?.status === 'passed' && !tampered) {
    await run.commit('refactor', 'developer', `refactor(#${run.id}): ${outcome.result.summary}`, {
      ...outcome.result,
    });
    return;
  }
  await run.o.workspace.discardChanges();
  await run.event('pair.refactor_dropped', {
    reason: suite ? suite.status : describeOutcome(outcome),
  });
  applyCommit(run.cp, { phase: 'refactor', cycle: run.cp.cycle, result: { summary: '' } }, null);
}
