/**
 * Prompts of the pair roles. Kept short: small local models follow short, concrete instructions best.
 * What `finish` takes is never written by hand: {@link finishInstructions} derives it from the phase's
 * result schema (its fields and their `.describe()` texts), the same schema the `finish` tool carries.
 */
import { z } from 'zod';
import type { Checkpoint } from './checkpoint.js';
import { GreenResult, RedResult, RefactorResult } from './pair-steps.js';
import type { Ticket } from './ticket.js';

/** One line per field of a result schema: `- name (required|optional, type): description`. */
export function finishInstructions(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema) as {
    properties?: Record<string, { type?: string; description?: string; items?: { type?: string } }>;
    required?: string[];
  };
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {})
    .map(([name, p]) => {
      const type =
        p.type === 'array' ? `list of ${p.items?.type ?? 'values'}` : (p.type ?? 'value');
      const need = required.has(name) ? 'required' : 'optional';
      return `- ${name} (${need}, ${type}): ${p.description ?? ''}`.trimEnd();
    })
    .join('\n');
}

const withFinish = (text: string, schema: z.ZodType): string =>
  `${text}\nWhen you are done, call finish with:\n${finishInstructions(schema)}`;

/** System prompt of the Tester. */
export const TESTER_SYSTEM = withFinish(
  `You are the Tester of a test-driven pair. For the acceptance criterion you are given, write the
smallest test that fails until the criterion is implemented. Change test files only. Do not implement the
feature. A test may fail because the function or module it uses does not exist yet: that is a valid red
test. Use the tools to read the code and write the test. If the criterion is already met by the code,
write a test that proves it and set alreadyMet.`,
  RedResult,
);

/** System prompt of the Developer. */
export const DEVELOPER_SYSTEM = withFinish(
  `You are the Developer of a test-driven pair. Make the failing tests pass with the minimal change
to the source code. Never change test files. Use the tools to read and write files and to run the tests.
If a test is wrong, do not work around it: dispute it.`,
  GreenResult,
);

/** System prompt of the Developer's optional refactor step. */
export const REFACTOR_SYSTEM = withFinish(
  `You are the Developer of a test-driven pair. The suite is green. Improve the code without changing
behaviour and without touching tests.`,
  RefactorResult,
);

/** The current cycle's red: the test files and names the Tester committed, and how they fail. */
function testsSection(checkpoint: Checkpoint): string {
  const log = checkpoint.cycles.find((l) => l.cycle === checkpoint.cycle);
  const red = log?.red;
  const criterion = checkpoint.criteria[checkpoint.criterion];
  if (!red || !criterion || log.alreadyMet) {
    return '';
  }
  const files = red.files?.length ? red.files.join(', ') : '(not recorded)';
  const how = red.loadFailure
    ? 'They fail to load: the code lacks a name or module they use.'
    : `Failing: ${red.failing.length ? red.failing.join(', ') : '(no per-test results)'}`;
  return `\n\nTests for criterion ${checkpoint.criterion + 1} (written by the Tester): ${criterion.tests.join(', ')}\nIn: ${files}\n${how}`;
}

/**
 * The user prompt of one phase attempt: the ticket (with the spec excerpt, the Architect's likely files
 * and what project memory recalls when the ticket has them), criteria with status, the repository map, the cycle's tests, the task, the
 * feedback of the previous attempt and, after a failed attempt, what it changed.
 */
export function phasePrompt(
  ticket: Ticket,
  checkpoint: Checkpoint,
  task: string,
  repoMap: string,
): string {
  const criteria = checkpoint.criteria
    .map((c, i) => `${i + 1}. [${c.status === 'met' ? 'x' : ' '}] ${c.text}`)
    .join('\n');
  const spec = ticket.specExcerpt ? `\n\nSpec (excerpt):\n${ticket.specExcerpt}` : '';
  const likely = ticket.likelyFiles?.length
    ? `\n\nLikely files (the Architect's guess): ${ticket.likelyFiles.join(', ')}`
    : '';
  const memory = ticket.memory ? `\n\nFrom project memory:\n${ticket.memory}` : '';
  const feedback = checkpoint.feedback.length
    ? `\n\nFeedback from the previous attempt:\n${checkpoint.feedback.join('\n\n')}`
    : '';
  const change = checkpoint.previousChange
    ? `\n\nYour previous attempt changed this (the change was discarded; the files are back as committed):\n\`\`\`diff\n${checkpoint.previousChange}\n\`\`\``
    : '';
  return `Ticket #${ticket.id}: ${ticket.title}\n${ticket.description}${spec}\n\nAcceptance criteria:\n${criteria}${likely}${memory}\n\nRepository:\n${repoMap}${testsSection(checkpoint)}\n\nTask (cycle ${checkpoint.cycle}): ${task}${feedback}${change}`;
}
