/**
 * `go test` output, with or without `-v` (https://pkg.go.dev/cmd/go#hdr-Test_packages): `--- FAIL: Name
 * (0.00s)` lines (indented for subtests) are failures, `--- PASS`/`--- SKIP` are counted (only `-v`
 * prints them, so without it `passed` is unknown). A test's log lines (`    file_test.go:20: message`)
 * come before its `--- FAIL` line with `-v` (between `=== RUN` and the result) and after it without; a
 * panic's message and its first frame in the repository's own code; a package that does not compile
 * (`FAIL pkg [build failed]`) is a failure named by the package, with the compiler's errors.
 */
import {
  failedTest,
  firstOwnLocation,
  joinMessage,
  parseLocation,
  type FailedTest,
  type TestReport,
} from './test-report.js';

/** Parses `go test` output; null when the text has no go test result line. */
export function parseGoTest(text: string): TestReport | null {
  const lines = text.split('\n');
  if (
    !lines.some(
      (l) =>
        /^\s*--- (FAIL|PASS|SKIP): /.test(l) ||
        /^(ok|FAIL)\s+\S+\s+(\(cached\)|[\d.]+s|\[)/.test(l),
    )
  ) {
    return null;
  }
  const logs = new Map<string, string[]>();
  const failures: FailedTest[] = [];
  let running = '';
  let after: FailedTest | undefined;
  let passed = 0;
  let skipped = 0;
  let sawPass = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const run = /^=== (RUN|CONT|PAUSE)\s+(\S+)/.exec(line);
    if (run?.[2]) {
      running = run[2];
      after = undefined;
      continue;
    }
    const result = /^\s*--- (FAIL|PASS|SKIP): (\S+)/.exec(line);
    if (result?.[2]) {
      const name = result[2];
      after = undefined;
      if (result[1] === 'PASS') {
        passed += 1;
        sawPass = true;
      } else if (result[1] === 'SKIP') {
        skipped += 1;
      } else {
        const log = logs.get(name) ?? [];
        const failure = failedTest(
          name,
          joinMessage(log.map(stripLocation)),
          parseLocation(log[0] ?? ''),
        );
        failures.push(failure);
        after = failure;
      }
      continue;
    }
    if (/^panic: /.test(line)) {
      const frames = lines
        .slice(i + 1)
        .filter((l) => /^\t\S+\.go:\d+/.test(l) && !/\/usr\/lib\/go|\/go\/src\//.test(l));
      const target = after ?? failures.at(-1);
      const message = line;
      if (target) {
        target.message = joinMessage([target.message, message].filter((m) => m !== ''));
        const location = firstOwnLocation(frames);
        if (location) {
          target.file = location.file;
          target.line = location.line;
        }
      } else {
        failures.push(failedTest(running || 'test binary', message, firstOwnLocation(frames)));
      }
      after = undefined;
      continue;
    }
    const build = /^FAIL\s+(\S+)\s+\[(build|setup) failed\]/.exec(line);
    if (build?.[1]) {
      const errors = buildErrors(lines, build[1]);
      failures.push(
        failedTest(
          build[1],
          joinMessage(errors.length ? errors : [`${build[2]} failed`]),
          parseLocation(errors[0] ?? ''),
        ),
      );
      continue;
    }
    const log = /^\s{4,}(\S+\.go:\d+: .*)$/.exec(line);
    if (log?.[1]) {
      if (after) {
        after.message = joinMessage([after.message, stripLocation(log[1])].filter((m) => m !== ''));
        if (!after.file) {
          const location = parseLocation(log[1]);
          if (location) {
            after.file = location.file;
            after.line = location.line;
          }
        }
      } else if (running) {
        logs.set(running, [...(logs.get(running) ?? []), log[1]]);
      }
    }
  }
  for (const failure of failures) {
    failure.message ||= 'failed';
  }
  return {
    runner: 'go',
    passed: sawPass ? passed : null,
    failed: failures.length,
    skipped: sawPass || skipped > 0 ? skipped : null,
    failures,
  };
}

/** `calc_test.go:20: Sub(5, 3) = 8; want 2` → `Sub(5, 3) = 8; want 2` (the location is kept apart). */
function stripLocation(line: string): string {
  return line.replace(/^\s*\S+\.go:\d+: /, '');
}

/** The compiler's lines of the `# pkg` block for a package that did not build. */
function buildErrors(lines: readonly string[], pkg: string): string[] {
  const start = lines.findIndex((l) => l.startsWith(`# ${pkg}`));
  if (start < 0) {
    return [];
  }
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^(#|FAIL|ok)\s/.test(line)) {
      break;
    }
    out.push(line);
  }
  return out;
}
