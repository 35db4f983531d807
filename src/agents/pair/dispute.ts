/**
 * The Developer disputes a test: instead of making it pass, it says why the test is wrong, its changes
 * are dropped and the cycle goes back to red, where the Tester reads the reason and either rewrites the
 * test (committed as a new red) or keeps it unchanged (the dispute is upheld and green resumes, with the
 * Tester's answer in the Developer's feedback). At most `disputesPerCycle` disputes per cycle, so the two
 * roles cannot send a test back and forth for ever; each is recorded in the checkpoint, the events and
 * the run record.
 */
import type { Dispute } from '../checkpoint.js';
import type { PairRun } from './pair-run.js';

/** Disputes allowed per cycle when `RunPairOptions.disputesPerCycle` is not given. */
export const DEFAULT_DISPUTES_PER_CYCLE = 2;

/** The dispute of the current cycle the Tester has not answered yet, if any. */
export function openDispute(run: PairRun): Dispute | undefined {
  const { cp } = run;
  return cp.disputes.find((d) => d.cycle === cp.cycle && d.upheld === undefined);
}

/**
 * Sends the cycle's test back to the Tester with `reason`. Returns false, changing nothing, when the
 * cycle's disputes are used up.
 */
export async function disputeTest(run: PairRun, reason: string): Promise<boolean> {
  const { cp, o } = run;
  const limit = o.disputesPerCycle ?? DEFAULT_DISPUTES_PER_CYCLE;
  const made = cp.disputes.filter((d) => d.cycle === cp.cycle).length;
  if (made >= limit) {
    return false;
  }
  await o.workspace.discardChanges();
  cp.disputes.push({ cycle: cp.cycle, reason });
  cp.tried.push(
    `green cycle ${cp.cycle} (${o.models.alias('developer')}): the developer disputed the test: ${reason}`,
  );
  await run.event('pair.test_disputed', { reason, disputes: made + 1 });
  cp.phase = 'red';
  cp.attempts = 0;
  cp.previousChange = '';
  cp.feedback = [`The Developer disputes your test: ${reason}`];
  return true;
}

/**
 * The Tester kept the disputed test unchanged and it still fails: the dispute is upheld and green
 * resumes, with the Tester's answer for the Developer.
 */
export async function upholdTest(
  run: PairRun,
  dispute: Dispute,
  answer: string,
  failing: string,
): Promise<void> {
  const { cp } = run;
  dispute.upheld = true;
  await run.event('pair.dispute_upheld', { reason: dispute.reason, answer });
  cp.phase = 'green';
  cp.attempts = 0;
  cp.previousChange = '';
  cp.feedback = [`The Tester kept the test you disputed: ${answer}`, failing];
}
