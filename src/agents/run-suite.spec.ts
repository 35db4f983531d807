import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecOptions, ExecResult } from '../sandbox/types.js';
import type { TestCase } from './junit.js';
import { classify, OUTPUT_BUDGET, runSuite, summarizeRun } from './run-suite.js';

const tc = (outcome: TestCase['outcome'], name = 't', classname = 'tests.test_x'): TestCase => ({
  id: `${classname}::${name}`,
  name,
  classname,
  outcome,
});

describe('classify', () => {
  it('without a report: exit 0 passed, 1 failed, anything else broken', () => {
    expect(classify(0, null)).toEqual({ status: 'passed' });
    expect(classify(1, null)).toEqual({ status: 'failed' });
    expect(classify(2, null)).toEqual({ status: 'broken', reason: 'test command exited with 2' });
    expect(classify(137, null).status).toBe('broken');
  });

  it('with a report: failing or erroring cases make it failed, whatever the exit code', () => {
    expect(classify(1, [tc('passed'), tc('failed', 'u')])).toEqual({ status: 'failed' });
    expect(classify(1, [tc('error', 'u')])).toEqual({ status: 'failed' });
    expect(classify(0, [tc('passed'), tc('skipped', 'u')])).toEqual({ status: 'passed' });
  });

  it('a file that could not be loaded makes the run broken, even next to real failures', () => {
    const collection: TestCase = {
      id: 'tests.test_y',
      name: 'tests.test_y',
      classname: '',
      outcome: 'error',
      message: 'collection failure',
    };
    expect(classify(2, [tc('failed'), collection])).toEqual({
      status: 'broken',
      reason: 'could not collect tests.test_y: collection failure',
    });
  });

  it('no cases, or a non-zero exit without a failing case, is broken', () => {
    expect(classify(5, [])).toEqual({ status: 'broken', reason: 'no tests were collected' });
    expect(classify(0, [])).toEqual({ status: 'passed' });
    expect(classify(3, [tc('passed')])).toEqual({
      status: 'broken',
      reason: 'test command exited with 3 without a failing test',
    });
  });
});

describe('runSuite', () => {
  let dir = '';
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * A sandbox stand-in whose command "writes" a report into the work tree like a runner would. When
   * it gets the report wrapper (`sh -c … tandem-test argv…`) it does what that shell does first: make
   * the report directory and remove the old report.
   */
  const fakeExec =
    (result: Partial<ExecResult>, report?: string, seen: { argv?: readonly string[] } = {}) =>
    async (argv: readonly string[], _options: ExecOptions): Promise<ExecResult> => {
      seen.argv = argv;
      if (argv[0] === 'sh' && argv[3] === 'tandem-test') {
        await mkdir(join(dir, '.tandem'), { recursive: true });
        await rm(join(dir, '.tandem', 'junit.xml'), { force: true });
      }
      if (report !== undefined) {
        await writeFile(join(dir, '.tandem', 'junit.xml'), report);
      }
      return {
        exitCode: 0,
        stdout: '',
        stderr: '',
        durationMs: 5,
        timedOut: false,
        truncated: false,
        oomKilled: false,
        ...result,
      };
    };

  it('substitutes {junit}, reads the report and removes a stale one first', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-suite-'));
    const seen: { argv?: readonly string[] } = {};
    const report = await readFile('test/fixtures/engine/junit/pytest-mixed.xml', 'utf8');
    const run = await runSuite({
      sandbox: { exec: fakeExec({ exitCode: 1, stdout: 'out', stderr: 'err' }, report, seen) },
      workTree: dir,
      command: ['pytest', '--junitxml={junit}'],
      timeoutMs: 1_000,
    });
    // The report directory is prepared by the command's own shell in the container, never on the host.
    expect(seen.argv).toEqual([
      'sh',
      '-c',
      'mkdir -p /workspace/.tandem 2>/dev/null; rm -f /workspace/.tandem/junit.xml 2>/dev/null; exec "$@"',
      'tandem-test',
      'pytest',
      '--junitxml=/workspace/.tandem/junit.xml',
    ]);
    expect(run).toMatchObject({ status: 'failed', exitCode: 1 });
    // No parser knows this output: the failing tests come from the report, with their locations.
    expect(run.output).toBe(
      'out\nerr\n\nFailing tests (2):\n1. tests.test_mix::test_fails (tests/test_mix.py:9)\n   assert (3 * 4) == 7\n2. tests.test_mix::test_errors (tests/test_mix.py:19)\n   failed on setup with "RuntimeError: fixture exploded"',
    );
    expect(summarizeRun(run)).toEqual({
      passed: 1,
      failed: 2,
      text: 'failed: 1 passed, 2 failed',
    });
    // The next run writes no report: the stale one must not be read again.
    const second = await runSuite({
      sandbox: { exec: fakeExec({ exitCode: 0 }) },
      workTree: dir,
      command: ['pytest', '--junitxml={junit}'],
      timeoutMs: 1_000,
    });
    expect(second).toMatchObject({ status: 'passed', cases: null });
  });

  it('a timed-out or OOM-killed run is broken, with the reason', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-suite-'));
    const timedOut = await runSuite({
      sandbox: { exec: fakeExec({ exitCode: 137, timedOut: true }) },
      workTree: dir,
      command: ['npm', 'test'],
      timeoutMs: 1_000,
    });
    expect(timedOut).toMatchObject({ status: 'broken', reason: 'test command timed out' });
    const oom = await runSuite({
      sandbox: { exec: fakeExec({ exitCode: 137, oomKilled: true }) },
      workTree: dir,
      command: ['npm', 'test'],
      timeoutMs: 1_000,
    });
    expect(oom).toMatchObject({ status: 'broken', reason: 'test command ran out of memory' });
  });

  it('runs a command without {junit} as it is, and reports a workspace over its disk limit', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-suite-'));
    const seen: { argv?: readonly string[] } = {};
    const run = await runSuite({
      sandbox: {
        exec: fakeExec(
          {
            exitCode: 137,
            diskLimitExceeded: true,
            workspaceBytes: 300 * 1024 * 1024,
            diskLimitBytes: 64 * 1024 * 1024,
          },
          undefined,
          seen,
        ),
      },
      workTree: dir,
      command: ['npm', 'test'],
      timeoutMs: 1_000,
    });
    expect(seen.argv).toEqual(['npm', 'test']);
    expect(run).toMatchObject({
      status: 'broken',
      diskLimit: { limitBytes: 64 * 1024 * 1024, usedBytes: 300 * 1024 * 1024 },
      reason: 'the workspace grew to 300 MiB, over its disk limit of 64 MiB',
    });
  });

  it('reads TAP output without a report: failing tests, counts, and the failure kept within the budget', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-suite-'));
    const stdout = await readFile('test/fixtures/test-output/node18-tap-long.txt', 'utf8');
    const run = await runSuite({
      sandbox: { exec: fakeExec({ exitCode: 1, stdout }) },
      workTree: dir,
      command: ['node', '--test'],
      timeoutMs: 1_000,
    });
    expect(run).toMatchObject({ status: 'failed', cases: null });
    expect(run.failures).toEqual([
      {
        name: 'sub subtracts',
        message:
          'AssertionError: Expected values to be strictly equal:\n\n8 !== 2\nstrictEqual: expected 2, actual 8',
        file: 'test/a-calc.test.js',
        line: 6,
      },
    ]);
    expect(summarizeRun(run)).toEqual({
      passed: 120,
      failed: 1,
      text: 'failed: 120 passed, 1 failed',
    });
    expect(run.output.length).toBeLessThanOrEqual(OUTPUT_BUDGET);
    // What the engine keeps for the agent's feedback (the reason, then the last 3,000 characters).
    const feedback = `${run.reason ?? ''}\n${run.output}`.trim().slice(-3_000);
    expect(feedback).toContain('1. sub subtracts (test/a-calc.test.js:6)');
    expect(feedback).toContain('8 !== 2');
  });

  it('says when the runner prints no passing count, and falls back to the exit code when no parser knows the output', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-suite-'));
    const stdout = await readFile('test/fixtures/test-output/go-test.txt', 'utf8');
    const go = await runSuite({
      sandbox: { exec: fakeExec({ exitCode: 1, stdout }) },
      workTree: dir,
      command: ['go', 'test', './...'],
      timeoutMs: 1_000,
    });
    expect(summarizeRun(go).text).toBe('failed: passing count not printed, 2 failed');
    const unknown = await runSuite({
      sandbox: { exec: fakeExec({ exitCode: 2, stdout: 'make: *** [test] Error 2' }) },
      workTree: dir,
      command: ['make', 'test'],
      timeoutMs: 1_000,
    });
    expect(unknown).toMatchObject({ status: 'broken', report: null, failures: [] });
    expect(summarizeRun(unknown).text).toBe('broken (exit 2)');
    expect(unknown.output).toBe('make: *** [test] Error 2');
  });
});
