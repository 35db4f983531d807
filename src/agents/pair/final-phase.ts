/**
 * Final: the full run once every criterion is met. Every criterion must map to at least one passing test
 * (`unmatchedTests`); a failing run goes back to green, an unmapped criterion back to red.
 */
import { unmatchedTests } from '../pair-steps.js';
import { FEEDBACK_OUTPUT_CHARS } from './attempts.js';
import { failureExcerpt } from './failure-excerpt.js';
import type { PairRun } from './pair-run.js';

/** The final step (see the module comment). */
export async function finalPhase(run: PairRun): Promise<void> {
  const { cp } = run;
  const suite = await run.suite();
  if (suite.status !== 'passed') {
    cp.phase = 'green';
    cp.feedback = [
      `The final full run is ${suite.status}:\n${failureExcerpt(suite, FEEDBACK_OUTPUT_CHARS)}`,
    ];
    return;
  }
  const missing = unmatchedTests(cp, suite);
  if (missing === null) {
    cp.phase = 'done';
    return;
  }
  cp.criteria[missing]!.status = 'open';
  cp.criterion = missing;
  cp.cycle += 1;
  cp.phase = 'red';
  cp.feedback = [`No passing test found for criterion ${missing + 1}; write one.`];
}
