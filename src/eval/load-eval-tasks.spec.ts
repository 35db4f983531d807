import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/index.js';
import { taskTicket } from './eval-task.js';
import { loadEvalTasks } from './load-eval-tasks.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-eval-load-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A SWE-bench instance as its datasets export it: id lists as JSON strings, extra fields. */
const sweBench = {
  instance_id: 'astropy__astropy-12907',
  repo: 'astropy/astropy',
  base_commit: 'd16bfe05a744909de4b27f5875fe0d4ed41ce607',
  problem_statement:
    'Modeling separability_matrix does not compute separability correctly for nested CompoundModels\nMore text.',
  patch: 'diff --git a/x b/x\n',
  test_patch: 'diff --git a/t b/t\n',
  FAIL_TO_PASS:
    '["astropy/modeling/tests/test_separable.py::test_separable[compound_model6-result6]"]',
  PASS_TO_PASS: '[]',
  version: '4.3',
  hints_text: '',
  test_command: 'pytest -rA --junitxml={junit} astropy/modeling/tests/test_separable.py',
  image: 'sweb.eval.x86_64.astropy__astropy-12907',
};

async function errorOf(path: string): Promise<ConfigError> {
  const error = await loadEvalTasks(path).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadEvalTasks', () => {
  it('reads SWE-bench instances from JSONL (string id lists, shell test command, extra fields ignored)', async () => {
    await writeFile(join(dir, 'set.jsonl'), `${JSON.stringify(sweBench)}\n\n`);
    const { tasks } = await loadEvalTasks(join(dir, 'set.jsonl'));
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.FAIL_TO_PASS).toEqual([
      'astropy/modeling/tests/test_separable.py::test_separable[compound_model6-result6]',
    ]);
    expect(tasks[0]!.test_command).toEqual(['sh', '-c', sweBench.test_command]);
    expect(tasks[0]!.grading).toBe('junit');
    const ticket = taskTicket(tasks[0]!);
    expect(ticket.id).toBe('astropy__astropy-12907');
    expect(ticket.title).toBe(
      'Modeling separability_matrix does not compute separability correctly for nested CompoundModels',
    );
    expect(ticket.acceptanceCriteria).toHaveLength(1);
  });

  it('reads a directory of YAML tasks from tasks/ and skips sources.yaml', async () => {
    await mkdir(join(dir, 'tasks'));
    await writeFile(join(dir, 'sources.yaml'), 'x: 1\n');
    await writeFile(
      join(dir, 'tasks', 'a.yaml'),
      [
        'instance_id: pkg-a',
        'repo: pkg',
        'problem_statement: Add a.',
        'source: { base: pkg-1, reference: pkg-2 }',
        'hidden_tests: [tests/test_a.py]',
        'FAIL_TO_PASS: [tests/test_a.py::test_a]',
        "test_command: [python3, -m, pytest, '--junitxml={junit}']",
        'ticket: { title: Add a, acceptanceCriteria: [a works] }',
      ].join('\n'),
    );
    const set = await loadEvalTasks(dir);
    expect(set.dir).toBe(dir);
    expect(set.tasks.map((t) => t.instance_id)).toEqual(['pkg-a']);
    expect(taskTicket(set.tasks[0]!)).toMatchObject({ id: 'pkg-a', title: 'Add a' });
  });

  it('reports every bad task with its file and line, and duplicate ids', async () => {
    const bad = {
      ...sweBench,
      instance_id: 'bad id',
      FAIL_TO_PASS: '[]',
      test_command: ['pytest'],
    };
    await writeFile(
      join(dir, 'set.jsonl'),
      [JSON.stringify(sweBench), '{not json', JSON.stringify(bad), JSON.stringify(sweBench)].join(
        '\n',
      ),
    );
    const error = await errorOf(join(dir, 'set.jsonl'));
    const paths = error.issues.map((i) => i.path);
    expect(paths).toContain('set.jsonl:2');
    expect(paths).toContain('set.jsonl:3 instance_id');
    expect(paths).toContain('set.jsonl:3 FAIL_TO_PASS');
    expect(paths).toContain('set.jsonl:3 test_command');
    expect(paths).toContain('set.jsonl:4 instance_id');
    expect(error.message).toContain('also the id of set.jsonl:1');
  });

  it('refuses a task without hidden tests, without a base, or grading by file without {file}', async () => {
    await writeFile(
      join(dir, 't.yaml'),
      'instance_id: x\nrepo: r\nproblem_statement: p\nFAIL_TO_PASS: [a]\ntest_command: [node, --test]\ngrading: file\n',
    );
    const error = await errorOf(join(dir, 't.yaml'));
    expect(error.issues.map((i) => i.path).sort()).toEqual([
      't.yaml base_commit',
      't.yaml hidden_tests',
      't.yaml test_file_command',
    ]);
  });

  it('refuses file ids that leave the repository when grading by file', async () => {
    await writeFile(
      join(dir, 't.yaml'),
      "instance_id: x\nrepo: r\nproblem_statement: p\nbase_commit: abc\ntest_patch: 'diff --git a/t b/t'\nFAIL_TO_PASS: [../../etc/passwd]\nPASS_TO_PASS: [/abs.js]\ntest_command: [node, --test]\ngrading: file\ntest_file_command: [node, '{file}']\n",
    );
    const error = await errorOf(join(dir, 't.yaml'));
    expect(error.issues.map((i) => i.path).sort()).toEqual([
      't.yaml FAIL_TO_PASS.0',
      't.yaml PASS_TO_PASS.0',
    ]);
  });

  it('says so for a missing path and an empty set', async () => {
    expect((await errorOf(join(dir, 'nope'))).message).toContain('no such file or directory');
    expect((await errorOf(dir)).message).toContain('no task found');
  });
});
