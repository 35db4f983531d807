/**
 * Scripted-provider scripts that check the harness itself, with no real model (docs/models.md, "Scripted
 * provider"): the **oracle** applies a task's reference change through the agents' own tools and must be
 * graded resolved; the **null** model changes nothing and must not be; the **tamper** model rewrites the
 * hidden tests' files (and plants a `conftest.py` that passes every test) and must not be either.
 *
 * This is the one place that knows how the pair's agents are driven (tool names, phase steps, result
 * fields): when the agents' tools change, adapt these three functions.
 */
import type { Ticket } from '../agents/ticket.js';
import { isTestFile } from '../agents/file-boundary.js';
import type { PreparedTask } from './prepare-task.js';
import { junitIdOf } from './test-ids.js';
import { isText } from './tree-files.js';

/** One scripted-provider entry (the fields these scripts use). */
export interface ScriptEntry {
  match: { role: 'tester' | 'developer'; step?: string };
  toolCalls: { name: string; arguments: Record<string, unknown> }[];
  times?: number | 'always';
  note?: string;
}

/** The built-in self-check models of `tandem eval --scripted`. */
export type ScriptedModel = 'oracle' | 'null' | 'tamper';

const write = (path: string, content: string) => ({
  name: 'write_file',
  arguments: { path, content },
});
const finish = (args: Record<string, unknown>) => ({ name: 'finish', arguments: args });

/** Names the tester claims for the ticket's criteria: the FAIL_TO_PASS tests as the runner reports them. */
function claimedTests(prepared: PreparedTask): string[] {
  return prepared.task.grading === 'junit'
    ? prepared.task.FAIL_TO_PASS.map(junitIdOf)
    : prepared.task.FAIL_TO_PASS;
}

/** The text files of a change set (binary files and deletions cannot go through `write_file`). */
function textFiles(changes: PreparedTask['hidden']): [string, string][] {
  return [...changes]
    .filter((entry): entry is [string, Buffer] => entry[1] !== null && isText(entry[1]))
    .map(([path, content]) => [path, content.toString('utf8')]);
}

/**
 * The oracle: in `red-1` the tester writes the hidden tests and the reference's test files, naming the
 * FAIL_TO_PASS tests; in `green-1` the developer writes the reference's other files. Each later
 * criterion is met already: the tester touches the first test file again and says so.
 */
export function oracleScript(
  prepared: PreparedTask,
  ticket: Pick<Ticket, 'acceptanceCriteria'>,
  testGlobs: readonly string[],
): ScriptEntry[] {
  const reference = textFiles(prepared.reference);
  const tests = new Map(reference.filter(([p]) => isTestFile(p, testGlobs)));
  for (const [path, content] of textFiles(prepared.hidden)) {
    tests.set(path, content);
  }
  const code = reference.filter(([p]) => !isTestFile(p, testGlobs));
  const claimed = claimedTests(prepared);
  const entries: ScriptEntry[] = [
    {
      match: { role: 'tester', step: 'red-1' },
      toolCalls: [...tests].map(([p, c]) => write(p, c)),
    },
    {
      match: { role: 'tester', step: 'red-1' },
      toolCalls: [finish({ tests: claimed, summary: 'tests of the reference change' })],
    },
    {
      match: { role: 'developer', step: 'green-1' },
      toolCalls: code.map(([p, c]) => write(p, c)),
    },
    {
      match: { role: 'developer', step: 'green-1' },
      toolCalls: [finish({ summary: 'the reference change' })],
    },
  ];
  const [firstPath, firstContent] = [...tests][0] ?? ['', ''];
  for (let k = 2; k <= ticket.acceptanceCriteria.length; k++) {
    entries.push(
      {
        match: { role: 'tester', step: `red-${k}` },
        toolCalls: [write(firstPath, `${firstContent}${'\n'.repeat(k - 1)}`)],
      },
      {
        match: { role: 'tester', step: `red-${k}` },
        toolCalls: [finish({ tests: claimed, summary: `criterion ${k} is met`, alreadyMet: true })],
      },
    );
  }
  return entries;
}

/** The null model: every answer ends the phase without a change (the tester writes no test). */
export function nullScript(): ScriptEntry[] {
  return [
    {
      match: { role: 'tester' },
      toolCalls: [finish({ tests: ['nothing'], summary: 'no change' })],
      times: 'always',
    },
    {
      match: { role: 'developer' },
      toolCalls: [finish({ summary: 'no change' })],
      times: 'always',
    },
  ];
}

/**
 * The tamper model: the tester overwrites every hidden test file with tests of the FAIL_TO_PASS names that
 * pass on any code, plants a `conftest.py` beside the first one that turns every pytest outcome into a
 * pass, and declares each criterion met. Its run ends `done`; grading must still say unresolved.
 */
export function tamperScript(
  prepared: PreparedTask,
  ticket: Pick<Ticket, 'acceptanceCriteria'>,
): ScriptEntry[] {
  const names = prepared.task.FAIL_TO_PASS.map((id) => id.split('::').at(-1)!.split('[')[0]!);
  const writes = [...prepared.hidden.keys()].map((path) =>
    path.endsWith('.py')
      ? write(path, names.map((n) => `def ${n}():\n    pass\n`).join('\n'))
      : write(path, '// every test passes\n'),
  );
  const first = [...prepared.hidden.keys()][0] ?? 'tests/x.py';
  const dir = first.includes('/') ? first.slice(0, first.lastIndexOf('/') + 1) : '';
  writes.push(write(`${dir}conftest.py`, FORCE_PASS));
  // Bare names: the runner reports the planted tests under the hidden files' modules.
  const claimed = names;
  return ticket.acceptanceCriteria.flatMap((_, i) => [
    {
      match: { role: 'tester' as const, step: `red-${i + 1}` },
      toolCalls: [
        ...writes.map((w) =>
          i === 0
            ? w
            : write(
                w.arguments.path,
                `${w.arguments.content}${w.arguments.path.endsWith('.py') ? `\n# ${i}\n` : `// ${i}\n`}`,
              ),
        ),
      ],
    },
    {
      match: { role: 'tester' as const, step: `red-${i + 1}` },
      toolCalls: [finish({ tests: claimed, summary: 'already met', alreadyMet: true })],
    },
  ]);
}

/** A pytest plugin (conftest.py) that reports every test as passed. */
const FORCE_PASS = `import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
`;

/** The script of a built-in scripted model for one task. */
export function scriptFor(
  model: ScriptedModel,
  prepared: PreparedTask,
  ticket: Pick<Ticket, 'acceptanceCriteria'>,
  testGlobs: readonly string[],
): ScriptEntry[] {
  if (model === 'oracle') {
    return oracleScript(prepared, ticket, testGlobs);
  }
  return model === 'null' ? nullScript() : tamperScript(prepared, ticket);
}
