/**
 * The grader: runs a task's hidden tests on a tree in a fresh sandbox, the way SWE-bench decides
 * "resolved": every FAIL_TO_PASS test passes and every PASS_TO_PASS test still passes.
 *
 * The grading workspace is a copy of the tree in which every test file (the task's test globs) is put back
 * as it is in the base (files the agents added are removed), and then the hidden test files are written
 * over it. So what the agents did to tests, runner configuration under the test globs (`conftest.py`) or the
 * hidden tests' paths cannot change the verdict: only their non-test code is graded. A model whose
 * non-test code subverts the test runner itself is beyond what hidden tests can catch (as in SWE-bench).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isTestFile } from '../agents/file-boundary.js';
import type { TestCase } from '../agents/junit.js';
import { runSuite } from '../agents/run-suite.js';
import type { ExecResult, Sandbox, SandboxProvider } from '../sandbox/types.js';
import type { EvalTask } from './eval-task.js';
import type { PreparedTask } from './prepare-task.js';
import { outcomesOf, type TestOutcome } from './test-ids.js';
import { applyChanges, copyTree, listTree, type FileChanges } from './tree-files.js';

/** What grading found. */
export interface HiddenResults {
  /** Every FAIL_TO_PASS and PASS_TO_PASS test passed. */
  resolved: boolean;
  FAIL_TO_PASS: Record<string, TestOutcome>;
  PASS_TO_PASS: Record<string, TestOutcome>;
  /** Exit code of the (last) test command. */
  exitCode: number;
  /** Wall time of setup and test commands in the sandbox, in ms. */
  durationMs: number;
  /** Tail of the test output (at most 4,000 characters). */
  output: string;
  /** Why no per-test outcome could be read (setup failed, no JUnit report); every id is then `missing`. */
  error?: string;
  /** Every case of the JUnit report (JUnit grading only), for deriving a task's id lists. */
  cases?: TestCase[];
}

/** Options of {@link gradeTree}. */
export interface GradeTreeOptions {
  prepared: PreparedTask;
  /** The tree to grade: plain files, no `.git` (a run's final tree, the base or the reference). */
  treeDir: string;
  /** Where the grading workspace is made (removed afterwards). */
  workDir: string;
  provider: Pick<SandboxProvider, 'create'>;
  testGlobs: readonly string[];
  /** Docker label of the grading container. */
  jobId: string;
  signal?: AbortSignal;
}

/** Grades one tree. Infrastructure failures (Docker) throw; a failing or broken test run is a result. */
export async function gradeTree(options: GradeTreeOptions): Promise<HiddenResults> {
  const { prepared } = options;
  const task = prepared.task;
  const ws = join(options.workDir, 'grade');
  await copyTree(options.treeDir, ws);
  await applyChanges(ws, await testReset(ws, prepared.baseDir, options.testGlobs));
  await applyChanges(ws, prepared.hidden);
  const timeoutMs = task.timeout_seconds * 1000;
  const f2p = task.FAIL_TO_PASS;
  const p2p = task.PASS_TO_PASS;
  const unread = (error: string, exitCode: number, durationMs: number, output: string) => ({
    resolved: false,
    FAIL_TO_PASS: Object.fromEntries(f2p.map((id) => [id, 'missing' as const])),
    PASS_TO_PASS: Object.fromEntries(p2p.map((id) => [id, 'missing' as const])),
    exitCode,
    durationMs,
    output: output.slice(-4_000),
    error,
  });
  const { sandbox, setup } = await openTaskSandbox(task, ws, options);
  try {
    const setupMs = setup?.durationMs ?? 0;
    if (setup && (setup.exitCode !== 0 || setup.timedOut)) {
      return unread(
        `setup exited with ${setup.exitCode}`,
        setup.exitCode,
        setupMs,
        `${setup.stdout}\n${setup.stderr}`,
      );
    }
    if (task.grading === 'file') {
      const all = [...new Set([...f2p, ...p2p])];
      const outcome = new Map<string, TestOutcome>();
      let durationMs = setupMs;
      let output = '';
      let exitCode = 0;
      for (const file of all) {
        if ((await readFile(join(ws, file)).catch(() => null)) === null) {
          outcome.set(file, 'missing');
          continue;
        }
        const argv = task.test_file_command!.map((a) => a.replaceAll('{file}', file));
        const run = await sandbox.exec(argv, {
          timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        durationMs += run.durationMs;
        exitCode = Math.max(exitCode, run.exitCode);
        outcome.set(file, run.exitCode === 0 && !run.timedOut ? 'passed' : 'failed');
        if (run.exitCode !== 0) {
          output += `\n--- ${file} (exit ${run.exitCode})\n${run.stdout}\n${run.stderr}`;
        }
      }
      return summarize(f2p, p2p, (id) => outcome.get(id) ?? 'missing', {
        exitCode,
        durationMs,
        output: output.slice(-4_000),
      });
    }
    const run = await runSuite({
      sandbox,
      workTree: ws,
      command: task.test_command,
      timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (run.cases === null) {
      return unread(
        run.reason ?? 'the test command wrote no JUnit report',
        run.exitCode,
        setupMs + run.durationMs,
        run.output,
      );
    }
    const f = outcomesOf(f2p, run.cases);
    const p = outcomesOf(p2p, run.cases);
    return {
      ...summarize(f2p, p2p, (id) => f[id] ?? p[id] ?? 'missing', {
        exitCode: run.exitCode,
        durationMs: setupMs + run.durationMs,
        output: run.output.slice(-4_000),
      }),
      cases: run.cases,
    };
  } finally {
    await sandbox.destroy();
    await rm(ws, { recursive: true, force: true });
  }
}

/**
 * A fresh sandbox for a task over `workspaceDir` (handed to the sandbox user), with the task's `setup`
 * run in it (with the network when the task says `network: setup`). The caller destroys the sandbox and
 * judges the setup result (null when the task has none).
 */
export async function openTaskSandbox(
  task: EvalTask,
  workspaceDir: string,
  options: Pick<GradeTreeOptions, 'provider' | 'jobId' | 'signal'>,
): Promise<{ sandbox: Sandbox; setup: ExecResult | null }> {
  const sandbox = await options.provider.create({
    image: task.image,
    workspaceDir,
    limits: { cpus: 1, memoryMb: task.memory_mb, pids: 256 },
    network: task.network,
    jobId: options.jobId,
  });
  try {
    await sandbox.chownWorkspace();
    const setup = task.setup
      ? await sandbox.exec(task.setup, {
          timeoutMs: task.timeout_seconds * 1000,
          ...(task.network === 'setup' ? { network: true } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        })
      : null;
    return { sandbox, setup };
  } catch (error) {
    await sandbox.destroy();
    throw error;
  }
}

function summarize(
  f2p: readonly string[],
  p2p: readonly string[],
  outcome: (id: string) => TestOutcome,
  rest: Pick<HiddenResults, 'exitCode' | 'durationMs' | 'output'>,
): HiddenResults {
  const FAIL_TO_PASS = Object.fromEntries(f2p.map((id) => [id, outcome(id)]));
  const PASS_TO_PASS = Object.fromEntries(p2p.map((id) => [id, outcome(id)]));
  const resolved = [...Object.values(FAIL_TO_PASS), ...Object.values(PASS_TO_PASS)].every(
    (o) => o === 'passed',
  );
  return { resolved, FAIL_TO_PASS, PASS_TO_PASS, ...rest };
}

/**
 * The changes that put every test file of `tree` back as it is in `baseDir`: test files the base lacks
 * are deleted, changed or deleted ones restored.
 */
async function testReset(
  tree: string,
  baseDir: string,
  testGlobs: readonly string[],
): Promise<FileChanges> {
  const changes: FileChanges = new Map();
  const baseTests = (await listTree(baseDir)).filter((p) => isTestFile(p, testGlobs));
  for (const path of (await listTree(tree)).filter((p) => isTestFile(p, testGlobs))) {
    if (!baseTests.includes(path)) {
      changes.set(path, null);
    }
  }
  for (const path of baseTests) {
    const base = await readFile(join(baseDir, path));
    const now = await readFile(join(tree, path)).catch(() => null);
    if (now === null || !now.equals(base)) {
      changes.set(path, base);
    }
  }
  return changes;
}
