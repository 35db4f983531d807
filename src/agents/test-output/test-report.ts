/**
 * What Tandem reads from a test runner's text output when the runner wrote no JUnit report: the failing
 * cases (name, message, location) and the counts the runner printed. One parser per output format
 * (`parse-*.ts`); {@link parseTestOutput} picks the one that recognises the text.
 */

/** The output formats Tandem reads. `tap` covers `node --test` and tape. */
export type TestRunner = 'tap' | 'pytest' | 'jest' | 'vitest' | 'mocha' | 'go';

/** One failing (or erroring) test. */
export interface FailedTest {
  /** The name as the runner prints it (pytest: the node id `tests/test_x.py::test_y`). */
  name: string;
  /** The failure message: the assertion or error, and expected/actual where the runner gives them. */
  message: string;
  /** Workspace-relative file of the failure (the assertion or the throw), when the output names one. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
}

/** The counts and failing cases of one run. */
export interface TestReport {
  runner: TestRunner;
  /** Passing tests, or null when the output does not say (e.g. `go test` without `-v`). */
  passed: number | null;
  /** Failing and erroring tests (at least `failures.length`). */
  failed: number;
  /** Skipped tests, or null when the output does not say. */
  skipped: number | null;
  failures: FailedTest[];
}

/** Where a file:line reference in an output points, with the sandbox's `/workspace/` prefix removed. */
export function parseLocation(text: string): { file: string; line: number } | undefined {
  const match = /((?:[A-Za-z]:)?[^\s():'"]+?\.[A-Za-z0-9]+):(\d+)(?::\d+)?/.exec(text);
  if (!match?.[1] || !match[2]) {
    return undefined;
  }
  return { file: relativeFile(match[1]), line: Number(match[2]) };
}

/** `/workspace/src/x.js` → `src/x.js`, `./x.go` → `x.go`. Other absolute paths stay as they are. */
export function relativeFile(path: string): string {
  return path
    .replace(/^file:\/\//, '')
    .replace(/^\/workspace\//, '')
    .replace(/^\.\//, '');
}

/** True for a stack frame of the runtime or a dependency rather than the repository's own code. */
export function isForeignFrame(line: string): boolean {
  return /node:|node_modules\/|\/usr\/lib\/|internal\/|<anonymous>:/.test(line);
}

/**
 * The first location among stack-frame lines that belongs to the repository's code (not the runtime,
 * not node_modules), else the first location at all.
 */
export function firstOwnLocation(
  lines: readonly string[],
): { file: string; line: number } | undefined {
  let fallback: { file: string; line: number } | undefined;
  for (const line of lines) {
    const location = parseLocation(line);
    if (!location) {
      continue;
    }
    fallback ??= location;
    if (!isForeignFrame(line)) {
      return location;
    }
  }
  return fallback;
}

/** Lines joined, trimmed, blank runs collapsed, cut at `max` characters with a marker. */
export function joinMessage(lines: readonly string[], max = 600): string {
  const text = lines
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return text.length > max ? `${text.slice(0, max)}… [message cut]` : text;
}

/** A failure with its location fields set only when known. */
export function failedTest(
  name: string,
  message: string,
  location: { file: string; line: number } | undefined,
): FailedTest {
  return { name, message, ...(location ? { file: location.file, line: location.line } : {}) };
}

/**
 * The lines from `start` up to (not including) the first one for which `isEnd` is true, and the index
 * of that line (`lines.length` when none ends the block).
 */
export function readBlock(
  lines: readonly string[],
  start: number,
  isEnd: (line: string) => boolean,
): { body: string[]; end: number } {
  const body: string[] = [];
  let i = start;
  for (; i < lines.length && !isEnd(lines[i] ?? ''); i++) {
    body.push(lines[i] ?? '');
  }
  return { body, end: i };
}

/** The number before `what` in a summary line (`2 failed` → 2); 0 when it is not there. */
export function countIn(line: string | undefined, what: string): number {
  return Number(new RegExp(`(\\d+) ${what}`).exec(line ?? '')?.[1] ?? 0);
}

/**
 * A report from a runner's totals line (`Tests: 2 failed, 2 passed, 5 total`; `Tests 2 failed | 2
 * passed (5)`): counts are null when there is no such line; failed is at least the failures found.
 */
export function reportFromTotals(
  runner: TestRunner,
  totals: string | undefined,
  failures: FailedTest[],
): TestReport {
  return {
    runner,
    passed: totals === undefined ? null : countIn(totals, 'passed'),
    failed: Math.max(countIn(totals, 'failed'), failures.length),
    skipped: totals === undefined ? null : countIn(totals, 'skipped'),
    failures,
  };
}
