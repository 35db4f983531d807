/** Prompts of the pair roles. Kept short: small local models follow short, concrete instructions best. */
import type { Checkpoint } from './checkpoint.js';
import type { Ticket } from './ticket.js';

/** System prompt of the Tester. */
export const TESTER_SYSTEM = `You are the Tester of a test-driven pair. For the acceptance criterion you are given, write the
smallest test that fails until the criterion is implemented. Change test files only. Do not implement the
feature. Use the tools to read the code and write the test, then call finish with the criterion number, the
names of the tests you wrote and a one-line summary. If the criterion is already met by the code, write a
test that proves it and finish with alreadyMet: true.`;

/** System prompt of the Developer. */
export const DEVELOPER_SYSTEM = `You are the Developer of a test-driven pair. Make the failing tests pass with the minimal change
to the source code. Never change test files. Use the tools to read and write files and to run the tests,
then call finish with a one-line summary (set refactor: true only if a clean-up is clearly worth a separate
step).`;

/** System prompt of the Developer's optional refactor step. */
export const REFACTOR_SYSTEM = `You are the Developer of a test-driven pair. The suite is green. Improve the code without changing
behaviour and without touching tests, then call finish with a one-line summary.`;

/** The user prompt of one phase attempt: ticket, criteria with status, the task, and feedback. */
export function phasePrompt(
  ticket: Ticket,
  checkpoint: Checkpoint,
  task: string,
  repoMap: string,
): string {
  const criteria = checkpoint.criteria
    .map((c, i) => `${i + 1}. [${c.status === 'met' ? 'x' : ' '}] ${c.text}`)
    .join('\n');
  const feedback = checkpoint.feedback.length
    ? `\n\nFeedback from the previous attempt:\n${checkpoint.feedback.join('\n\n')}`
    : '';
  return `Ticket #${ticket.id}: ${ticket.title}\n${ticket.description}\n\nAcceptance criteria:\n${criteria}\n\nRepository:\n${repoMap}\n\nTask (cycle ${checkpoint.cycle}): ${task}${feedback}`;
}
