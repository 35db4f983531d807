/**
 * The tools that run in the sandbox (`run_command`, `run_tests` with a filter) against a real Docker
 * sandbox from the sandbox image: a shell line and argv, no network, time limit, output budget, and a
 * filtered pytest run beside the full suite.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { executeTool, type ToolContext } from '../../src/agents/agent-tools.js';
import { runSuite } from '../../src/agents/run-suite.js';
import { WorkspaceFiles } from '../../src/sandbox/workspace-files.js';
import { call } from '../helpers/tool-context.js';
import { startSharedSandbox, type SharedSandbox } from './engine-harness.js';

let shared: SharedSandbox;
beforeAll(async () => {
  shared = await startSharedSandbox();
});
afterAll(async () => {
  await shared.close();
});

const TEST_COMMAND = [
  'python3',
  '-B',
  '-m',
  'pytest',
  '-q',
  '-p',
  'no:cacheprovider',
  '--junitxml={junit}',
];

const FILES: Record<string, string> = {
  'calc.py': 'def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a + b\n',
  'tests/__init__.py': '',
  'tests/test_calc.py':
    'from calc import add, sub\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n',
};

beforeEach(async () => {
  for (const entry of await readdir(shared.workTree)) {
    await rm(join(shared.workTree, entry), { recursive: true, force: true });
  }
  for (const [path, content] of Object.entries(FILES)) {
    await mkdir(dirname(join(shared.workTree, path)), { recursive: true });
    await writeFile(join(shared.workTree, path), content);
  }
  await shared.sandbox.chownWorkspace();
});

async function context(): Promise<ToolContext> {
  const files = await WorkspaceFiles.open(shared.workTree);
  return {
    role: 'developer',
    testGlobs: ['tests/**'],
    files,
    listFiles: (dir) => files.list(dir ?? ''),
    repoMap: () => Promise.resolve(''),
    testCommand: TEST_COMMAND,
    runTests: (options) =>
      runSuite({
        sandbox: shared.sandbox,
        workTree: shared.workTree,
        command: options?.argv ?? TEST_COMMAND,
        timeoutMs: 60_000,
      }),
    runCommand: (argv, options) => shared.sandbox.exec(argv, options),
    commandTimeoutMs: 30_000,
  };
}

describe('run_command in the sandbox', () => {
  it('runs a shell line or argv and answers with the exit code and output', async () => {
    const ctx = await context();
    expect(await executeTool(call('run_command', { command: 'ls | sort; exit 3' }), ctx)).toEqual({
      ok: true,
      exit_code: 3,
      output: 'calc.py\ntests',
    });
    expect(
      await executeTool(
        call('run_command', { argv: ['python3', '-c', 'import calc; print(calc.add(2, 2))'] }),
        ctx,
      ),
    ).toEqual({
      ok: true,
      exit_code: 0,
      output: '4',
    });
  });

  it('has no network, and cuts long output in the middle with a marker', async () => {
    const ctx = await context();
    expect(
      await executeTool(call('run_command', { command: 'ls /sys/class/net' }), ctx),
    ).toMatchObject({
      output: 'lo',
    });
    const long = await executeTool(call('run_command', { command: 'seq 1 20000' }), ctx);
    const output = String(long.ok && long.output);
    expect(output.length).toBeLessThanOrEqual(4_000);
    expect(output).toMatch(/^1\n2\n3\n[\s\S]*\n\[… \d+ characters cut …\]\n[\s\S]*\n19999\n20000$/);
  });

  it('kills a command at its time limit', async () => {
    const ctx = await context();
    expect(
      await executeTool(call('run_command', { command: 'sleep 20', timeout_seconds: 1 }), ctx),
    ).toMatchObject({
      ok: true,
      exit_code: 137,
      timed_out: true,
      note: 'killed after 1 s',
    });
  });

  it('refuses calls with both or neither of command and argv', async () => {
    const ctx = await context();
    expect(await executeTool(call('run_command', {}), ctx)).toMatchObject({
      ok: false,
      error: { type: 'invalid_arguments' },
    });
    expect(
      await executeTool(call('run_command', { command: 'ls', argv: ['ls'] }), ctx),
    ).toMatchObject({
      ok: false,
      error: { type: 'invalid_arguments' },
    });
  });
});

describe('run_tests in the sandbox', () => {
  it('runs the suite, or only the tests a filter names', async () => {
    const ctx = await context();
    const full = await executeTool(call('run_tests', {}), ctx);
    expect(full).toMatchObject({
      ok: true,
      status: 'failed',
      summary: 'failed: 1 passed, 1 failed',
    });
    expect(String(full.ok && full.output)).toContain(
      '1. tests/test_calc.py::test_sub (tests/test_calc.py:9)\n   assert 8 == 2',
    );
    expect(await executeTool(call('run_tests', { filter: 'test_add' }), ctx)).toMatchObject({
      ok: true,
      status: 'passed',
      summary: 'passed: 1 passed, 0 failed',
      filtered: 'python3 -B -m pytest -q -p no:cacheprovider --junitxml={junit} -k test_add',
    });
    expect(
      await executeTool(call('run_tests', { filter: 'tests/test_calc.py' }), ctx),
    ).toMatchObject({
      status: 'failed',
      summary: 'failed: 1 passed, 1 failed',
    });
  });
});
