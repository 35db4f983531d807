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
import { parseTestOutput } from './test-output/parse-test-output.js';
import { renderTestOutput } from './test-output/render-test-output.js';
import type { FailedTest, TestReport } from './test-output/test-report.js';

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
  /**
   * The run's output for agents and people, at most {@link OUTPUT_BUDGET} characters: the start and end
   * of stdout + stderr around an explicit cut marker, then the failing tests (name, location, message)
   * last, so a consumer that keeps only the end of it keeps them (see `render-test-output.ts`).
   */
  output: string;
  /** What the runner's text output says (counts, failing cases), or null when no parser knew it. */
  report?: TestReport | null;
  /** The failing tests: from the text output when it names them, else from the JUnit report. */
  failures?: FailedTest[];
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

/**
 * Largest {@link SuiteRun.output}, in characters. Below the 3,000 characters the pair engine keeps of a
 * run in an agent's feedback, with room for the `reason` it puts in front.
 */
export const OUTPUT_BUDGET = 2_500;

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
  const report = parseTestOutput(combined);
  const base = { exitCode: result.exitCode, durationMs: result.durationMs, report };
  const describe = (cases: TestCase[] | null) => {
    const failures = failuresOf(report, cases);
    const failed = report?.failed ?? failures.length;
    return {
      failures,
      output: renderTestOutput({ output: combined, failures, failed, budget: OUTPUT_BUDGET }),
    };
  };
  if (result.diskLimitExceeded) {
    const { diskLimitBytes: limitBytes, workspaceBytes: usedBytes } = result;
    return {
      ...base,
      ...describe(null),
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
    return { ...base, ...describe(null), status: 'broken', cases: null, reason };
  }
  const xml = usesReport ? await readReport(options.workTree) : null;
  const cases = xml === null ? null : parseJunit(xml);
  return { ...base, ...describe(cases), cases, ...classify(result.exitCode, cases) };
}

/**
 * The failing tests of a run: the text output's when its parser found any (they carry locations), else
 * the JUnit report's failed and errored cases.
 */
function failuresOf(report: TestReport | null, cases: readonly TestCase[] | null): FailedTest[] {
  if (report && report.failures.length > 0) {
    return report.failures;
  }
  return (cases ?? [])
    .filter((c) => c.outcome === 'failed' || c.outcome === 'error')
    .map((c) => ({
      name: c.id,
      message: c.message ?? '',
      ...(c.file ? { file: c.file } : {}),
      ...(c.line ? { line: c.line } : {}),
    }));
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

/**
 * A short summary: `failed: 3 passed, 1 failed` from the JUnit report's cases, else from the counts the
 * runner printed (`passed` is 0 when the runner does not print it, and the text says so), else the status
 * and exit code.
 */
export function summarizeRun(run: SuiteRun): { passed: number; failed: number; text: string } {
  if (run.cases === null) {
    const report = run.report;
    if (report) {
      const passed =
        report.passed === null ? 'passing count not printed' : `${report.passed} passed`;
      return {
        passed: report.passed ?? 0,
        failed: report.failed,
        text: `${run.status}: ${passed}, ${report.failed} failed`,
      };
    }
    return { passed: 0, failed: 0, text: `${run.status} (exit ${run.exitCode})` };
  }
  const passed = run.cases.filter((c) => c.outcome === 'passed').length;
  const failed = run.cases.filter((c) => c.outcome === 'failed' || c.outcome === 'error').length;
  return { passed, failed, text: `${run.status}: ${passed} passed, ${failed} failed` };
}
