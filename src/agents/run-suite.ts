/**
 * Runs the repository's test suite in the sandbox and classifies the outcome from the exit code and, where
 * the runner writes one, a JUnit XML report (policy `sandbox.test`, `{junit}` replaced by the report path).
 *
 * Classification (runner-agnostic):
 * - timed out or OOM-killed → `broken`;
 * - with a report: a file that could not be loaded (`isLoadFailure`: a module that fails to import, compile
 *   or collect, as pytest, vitest and node --test report it) → `broken`; any failed or errored case → `failed`; no case at all or
 *   a non-zero exit code without a failing case → `broken`; else `passed`;
 * - without a report: exit 0 → `passed`, exit 1 → `failed`, anything else → `broken` (pytest uses 2–5 for
 *   interrupted, internal, usage and "no tests collected").
 *
 * The report lies in the workspace, which the sandbox controls: the host never creates, chmods or
 * deletes anything there for it (the report directory is made and the old report removed by the test
 * command's own shell, inside the container), and reads it like the file tools do: no symlink followed
 * (on the way or at the end), opened non-blocking, a regular file only, at most {@link REPORT_MAX_BYTES}.
 * Anything else counts as "no report".
 */
import { DiskLimitExceededError, FileToolError, WorkspaceEscapeError } from '../errors/index.js';
import type { Sandbox } from '../sandbox/types.js';
import { WorkspaceFiles } from '../sandbox/workspace-files.js';
import { isLoadFailure, parseJunit, type TestCase } from './junit.js';

/** Workspace-relative directory for Tandem's report files (excluded from commits). */
export const REPORT_DIR = '.tandem';

/** Largest JUnit report read, in bytes (8 MiB: tens of thousands of test cases). */
export const REPORT_MAX_BYTES = 8 * 1024 * 1024;

/** Workspace-relative path of the report. */
const REPORT_PATH = `${REPORT_DIR}/junit.xml`;

/**
 * Runs the test command after making the report directory and removing an old report, inside the
 * container (as the sandbox user, within the container's view of the file system).
 */
const PREPARE_REPORT = `mkdir -p /workspace/${REPORT_DIR} 2>/dev/null; rm -f /workspace/${REPORT_PATH} 2>/dev/null; exec "$@"`;

/** One run of the whole suite. */
export interface SuiteRun {
  status: 'passed' | 'failed' | 'broken';
  exitCode: number;
  durationMs: number;
  /** Per-test outcomes from the JUnit report, or null when the runner wrote none. */
  cases: TestCase[] | null;
  /** Tail of stdout + stderr (at most 6 000 characters). */
  output: string;
  /** Why the run is `broken`, when it is. */
  reason?: string;
  /**
   * Present when the workspace grew past its disk limit during the run (the run is `broken`): sizes in
   * bytes, each absent when unknown.
   */
  diskLimit?: { limitBytes?: number; usedBytes?: number };
}

/** What {@link runSuite} needs. */
export interface RunSuiteOptions {
  sandbox: Pick<Sandbox, 'exec'>;
  /** Host path of the workspace (to read the report). */
  workTree: string;
  /** Policy `sandbox.test` argv. */
  command: readonly string[];
  timeoutMs: number;
  /** Aborts the run (the command is killed; the caller decides what an aborted run means). */
  signal?: AbortSignal;
  /** Disk the workspace may use, in bytes (default: the sandbox's own limit). */
  maxWorkspaceBytes?: number;
}

const OUTPUT_TAIL = 6_000;

/** Runs the suite once; only infrastructure failures throw. */
export async function runSuite(options: RunSuiteOptions): Promise<SuiteRun> {
  const usesReport = options.command.some((arg) => arg.includes('{junit}'));
  const command = options.command.map((arg) =>
    arg.replaceAll('{junit}', `/workspace/${REPORT_PATH}`),
  );
  const argv = usesReport ? ['sh', '-c', PREPARE_REPORT, 'tandem-test', ...command] : command;
  const result = await options.sandbox.exec(argv, {
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.maxWorkspaceBytes === undefined
      ? {}
      : { maxWorkspaceBytes: options.maxWorkspaceBytes }),
  });
  const combined = `${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}`;
  const output = combined.length > OUTPUT_TAIL ? combined.slice(-OUTPUT_TAIL) : combined;
  const base = { exitCode: result.exitCode, durationMs: result.durationMs, output };
  if (result.diskLimitExceeded) {
    const { diskLimitBytes: limitBytes, workspaceBytes: usedBytes } = result;
    return {
      ...base,
      status: 'broken',
      cases: null,
      reason: new DiskLimitExceededError(limitBytes, usedBytes).message,
      diskLimit: {
        ...(limitBytes === undefined ? {} : { limitBytes }),
        ...(usedBytes === undefined ? {} : { usedBytes }),
      },
    };
  }
  if (result.timedOut || result.oomKilled) {
    const reason = result.timedOut ? 'test command timed out' : 'test command ran out of memory';
    return { ...base, status: 'broken', cases: null, reason };
  }
  const xml = usesReport ? await readReport(options.workTree) : null;
  const cases = xml === null ? null : parseJunit(xml);
  return { ...base, cases, ...classify(result.exitCode, cases) };
}

/**
 * The report's text, or null when there is none: missing, not a regular file (a FIFO, a directory),
 * reached through a symlink leading out of the workspace, or over {@link REPORT_MAX_BYTES}.
 */
async function readReport(workTree: string): Promise<string | null> {
  try {
    const files = await WorkspaceFiles.open(workTree, { maxReadBytes: REPORT_MAX_BYTES });
    return await files.readFile(REPORT_PATH);
  } catch (error) {
    if (error instanceof FileToolError || error instanceof WorkspaceEscapeError) {
      return null;
    }
    throw error;
  }
}

/** The classification rules of the module comment. */
export function classify(
  exitCode: number,
  cases: readonly TestCase[] | null,
): { status: SuiteRun['status']; reason?: string } {
  if (cases === null) {
    if (exitCode === 0) {
      return { status: 'passed' };
    }
    return exitCode === 1
      ? { status: 'failed' }
      : { status: 'broken', reason: `test command exited with ${exitCode}` };
  }
  const collection = cases.find(isLoadFailure);
  if (collection) {
    return {
      status: 'broken',
      reason: `could not collect ${collection.name}: ${collection.message ?? ''}`,
    };
  }
  if (cases.some((c) => c.outcome === 'failed' || c.outcome === 'error')) {
    return { status: 'failed' };
  }
  if (cases.length === 0) {
    return exitCode === 0
      ? { status: 'passed' }
      : { status: 'broken', reason: 'no tests were collected' };
  }
  return exitCode === 0
    ? { status: 'passed' }
    : { status: 'broken', reason: `test command exited with ${exitCode} without a failing test` };
}

/** A short human summary: `3 passed, 1 failed` or the status. */
export function summarizeRun(run: SuiteRun): { passed: number; failed: number; text: string } {
  if (run.cases === null) {
    return { passed: 0, failed: 0, text: `${run.status} (exit ${run.exitCode})` };
  }
  const passed = run.cases.filter((c) => c.outcome === 'passed').length;
  const failed = run.cases.filter((c) => c.outcome === 'failed' || c.outcome === 'error').length;
  return { passed, failed, text: `${run.status}: ${passed} passed, ${failed} failed` };
}
