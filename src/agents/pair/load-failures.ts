/**
 * A `broken` red run that is still a valid red test: the new test fails at import or compile time because
 * it uses a symbol or module the code does not have yet (the usual first step of test-first work in
 * Python, TypeScript or Go). It is accepted when the failure is confined to the Tester's new or changed
 * test files and is not a syntax error in the test itself (which the Developer, who may not touch tests,
 * could never fix).
 *
 * Which files failed to load is read from the JUnit report (`isLoadFailure`: pytest's collection errors,
 * vitest's file-level failures, node --test's file cases) and, without a report, from the runner's output:
 * pytest `ERROR collecting <file>` / `ERROR <file>`, jest and vitest `FAIL <file>` lines of a file that did
 * not run, node --test `not ok N - <file>`, and compiler diagnostics `<file>:<line>:<col>` (go, tsc).
 */
import { isLoadFailure } from '../junit.js';
import type { SuiteRun } from '../run-suite.js';

/** One test file (or module) that could not be loaded. */
export interface LoadFailure {
  /** The name the runner gives it: a module (`tests.test_calc`), a file path, or an absolute path. */
  name: string;
  /** The failure message, when the report has one. */
  message: string;
}

/** Why a `broken` run is or is not a valid red test. */
export type LoadVerdict = { ok: true; failures: LoadFailure[] } | { ok: false; why: string };

/**
 * A syntax error in a test file: the test itself is wrong. Python, JavaScript engines, vite's import
 * analysis, TypeScript's syntax diagnostics (TS1xxx), Go's parser.
 */
const SYNTAX_ERROR =
  /\b(SyntaxError|IndentationError|TabError)\b|invalid JS syntax|Unexpected token|error TS1\d{3}\b|syntax error:/i;

/**
 * A missing name or module, which some engines report as a syntax error (Node's ESM loader: "SyntaxError:
 * The requested module … does not provide an export named …"): the expected red of test-first work.
 */
const MISSING_SYMBOL =
  /does not provide an export named|has no exported member|Cannot find module|cannot import name|No module named|is not defined|has no attribute|undefined: /;

/** True when some line of `text` reports a syntax error that is not a missing name. */
function hasSyntaxError(text: string): boolean {
  return text.split('\n').some((line) => SYNTAX_ERROR.test(line) && !MISSING_SYMBOL.test(line));
}

/** Output lines that name a file that did not load (see the module comment). */
const OUTPUT_PATTERNS: readonly RegExp[] = [
  /ERROR collecting (\S+)/,
  /^ERROR (\S+\.py)\b/,
  /^\s*FAIL\s+(\S+\.[cm]?[jt]sx?)\s*(?:\[|$)/,
  /^not ok \d+ - (\/\S+)/,
  /^(?:\.\/)?(\S+\.(?:go|[cm]?tsx?|[cm]?jsx?)):\d+:\d+:?\s/,
  /^(\S+\.(?:[cm]?tsx?))\(\d+,\d+\): error TS\d+/,
];

/** Strips the sandbox mount, `./`, the extension; `/` and `\` become `.` (pytest's module form). */
export function moduleForm(path: string): string {
  return path
    .replace(/^\/workspace\//, '')
    .replace(/^\.\//, '')
    .replace(/\.[A-Za-z0-9]+$/, '')
    .replace(/[\\/]+/g, '.')
    .replace(/^\.+/, '');
}

/** True when the runner's name for a file refers to the repository-relative `path`. */
export function namesFile(name: string, path: string): boolean {
  const a = moduleForm(name);
  const b = moduleForm(path);
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

/** Terminal colour and style sequences (a runner may colour its output even without a terminal). */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Files the runner's output says did not load, in the order they appear. */
function outputFailures(output: string): LoadFailure[] {
  const found: LoadFailure[] = [];
  for (const line of output.replace(ANSI, '').split('\n')) {
    for (const pattern of OUTPUT_PATTERNS) {
      const name = pattern.exec(line)?.[1];
      if (name && !found.some((f) => f.name === name)) {
        found.push({ name, message: line.trim().slice(0, 300) });
      }
    }
  }
  return found;
}

/**
 * Decides whether a `broken` red run is a valid red test (see the module comment). `newTests` are the
 * repository-relative test files the Tester changed in this attempt.
 */
export function judgeLoadFailure(run: SuiteRun, newTests: readonly string[]): LoadVerdict {
  if (run.status !== 'broken') {
    return { ok: false, why: `the run is ${run.status}` };
  }
  if (run.reason && /timed out|out of memory|disk/i.test(run.reason)) {
    return { ok: false, why: run.reason };
  }
  const text = `${run.reason ?? ''}\n${run.output}`.replace(ANSI, '');
  const cases = run.cases ?? [];
  const failures =
    run.cases === null
      ? outputFailures(run.output)
      : cases.filter(isLoadFailure).map((c) => ({ name: c.name, message: c.message ?? '' }));
  if (failures.length === 0) {
    return { ok: false, why: 'no test file was reported as failing to load' };
  }
  const outside = failures.filter((f) => !newTests.some((t) => namesFile(f.name, t)));
  if (outside.length > 0) {
    return {
      ok: false,
      why: `files other than the new tests fail to load (${outside.map((f) => f.name).join(', ')})`,
    };
  }
  // Other failing cases must be in the new tests too: the rest of the suite was green before.
  const others = cases.filter(
    (c) =>
      (c.outcome === 'failed' || c.outcome === 'error') &&
      !isLoadFailure(c) &&
      !newTests.some((t) => namesFile(c.classname || c.name, t)),
  );
  if (others.length > 0) {
    return {
      ok: false,
      why: `tests outside the new ones fail (${others.map((c) => c.id).join(', ')})`,
    };
  }
  if (hasSyntaxError(text) || failures.some((f) => hasSyntaxError(f.message))) {
    return { ok: false, why: 'the new test has a syntax error' };
  }
  return { ok: true, failures };
}
