/**
 * Green (the Developer): make the failing tests pass with the minimal change. Test-file changes are
 * reverted and reported; the whole suite must pass, then the change is committed (`feat(#n): …`).
 *
 * The Developer may instead dispute the test (`dispute.ts`). With `samples` > 1 for the alias (catalog
 * setting, off by default), one attempt draws that many independent samples, each from the committed
 * state and at a higher temperature than the last, and the tests choose: the first sample the suite
 * passes is committed (Agentless's "sample, then validate by tests"; without its majority vote among
 * several passing samples, to stop paying once one passes). When none passes, the attempt fails with the
 * sample that failed the fewest tests as what the next attempt sees.
 */
import { GreenResult } from '../pair-steps.js';
import { DEVELOPER_SYSTEM } from '../prompts.js';
import { summarizeRun, type SuiteRun } from '../run-suite.js';
import { runPhaseAgent } from './agent-step.js';
import { failAttempt } from './attempts.js';
import { checkBoundary, TAMPERED, tamperedDuringRun } from './boundary-guard.js';
import { disputeTest } from './dispute.js';
import type { PairRun } from './pair-run.js';
import { previousChange } from './previous-change.js';
import { describeOutcome } from './progress.js';

/** Samples per attempt at most, whatever the catalog says. */
export const MAX_SAMPLES = 8;

/** A sample that did not make the suite pass. */
interface FailedSample {
  what: string;
  suite: SuiteRun | null;
  change: string;
  /** Failing test cases (Infinity when unknown). */
  failing: number;
}

/** One green step (see the module comment). */
export async function greenPhase(run: PairRun): Promise<void> {
  const wanted = run.o.models.settings?.('developer').samples ?? 1;
  const samples = Math.min(MAX_SAMPLES, Math.max(1, wanted));
  let best: FailedSample | null = null;
  for (let sample = 0; sample < samples; sample++) {
    const outcome = await greenSample(run, sample);
    if (outcome === 'committed' || outcome === 'disputed') {
      return;
    }
    if (samples > 1) {
      await run.event('pair.sample', {
        role: 'developer',
        sample: sample + 1,
        of: samples,
        status: outcome.suite?.status ?? 'no_result',
        failing: Number.isFinite(outcome.failing) ? outcome.failing : null,
      });
      await run.o.workspace.discardChanges();
    }
    if (best === null || outcome.failing < best.failing) {
      best = outcome;
    }
  }
  await failAttempt(run, 'developer', best!.what, best!.suite, best!.change);
}

/** One sample: committed, disputed, or how it failed (the work tree still holds its change). */
async function greenSample(
  run: PairRun,
  sample: number,
): Promise<'committed' | 'disputed' | FailedSample> {
  const outcome = await runPhaseAgent(run, {
    role: 'developer',
    system: DEVELOPER_SYSTEM,
    schema: GreenResult,
    task: 'Make the failing tests pass with the minimal change.',
    sample,
  });
  if (outcome.kind !== 'result') {
    return failed(run, describeOutcome(outcome), null);
  }
  const { dispute, ...result } = outcome.result;
  if (dispute !== undefined) {
    if (await disputeTest(run, dispute)) {
      return 'disputed';
    }
    return failed(
      run,
      'the dispute was refused: this cycle’s test was sent back as often as allowed; make it pass',
      null,
    );
  }
  await checkBoundary(run, 'developer');
  const suite = await run.suite();
  if (await tamperedDuringRun(run, 'developer')) {
    return failed(run, TAMPERED, suite);
  }
  if (suite.status !== 'passed') {
    return failed(run, `the suite is ${suite.status} after the change`, suite);
  }
  await run.commit('green', 'developer', `feat(#${run.id}): ${result.summary}`, { ...result });
  return 'committed';
}

async function failed(run: PairRun, what: string, suite: SuiteRun | null): Promise<FailedSample> {
  const failing = suite?.cases ? summarizeRun(suite).failed : Number.POSITIVE_INFINITY;
  return { what, suite, change: await previousChange(run), failing };
}
