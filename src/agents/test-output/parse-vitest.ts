/**
 * Vitest's default reporter: the counts of its `Tests` line (`2 failed | 2 passed | 1 skipped (5)`) and
 * each failure block under `Failed Tests N` (` FAIL  file > describe > test`, then the error, a diff, and
 * `❯ file:line:col` frames): the message is the error and diff, the location the first `❯` frame.
 */
import {
  reportFromTotals,
  readBlock,
  failedTest,
  joinMessage,
  parseLocation,
  type FailedTest,
  type TestReport,
} from './test-report.js';

/** Parses Vitest output; null when the text has no Vitest `Test Files` summary nor a `FAIL` block. */
export function parseVitest(text: string): TestReport | null {
  const lines = text.split('\n');
  const totals = lines.find((l) => /^\s+Tests\s+.*\(\d+\)\s*$/.test(l));
  const hasFiles = lines.some((l) => /^\s+Test Files\s+/.test(l));
  const failedHeader = lines.findIndex(
    (l) => /Failed Tests \d+/.test(l) || /Failed Suites \d+/.test(l),
  );
  if (!(totals && hasFiles) && failedHeader < 0) {
    return null;
  }
  const failures: FailedTest[] = [];
  const start = failedHeader < 0 ? 0 : failedHeader + 1;
  for (let i = start; i < lines.length; i++) {
    const header = /^ FAIL {1,2}(.+)$/.exec(lines[i] ?? '');
    if (!header?.[1]) {
      continue;
    }
    const { body, end } = readBlock(
      lines,
      i + 1,
      (next) => /^ FAIL /.test(next) || /^⎯+/.test(next) || /^\s+Test Files\s+/.test(next),
    );
    i = end - 1;
    const frameAt = body.findIndex((l) => /^\s*❯ /.test(l));
    const message = joinMessage(
      (frameAt < 0 ? body : body.slice(0, frameAt)).map((l) => l.trimEnd()),
    );
    const location = frameAt < 0 ? undefined : parseLocation(body[frameAt] ?? '');
    failures.push(
      failedTest(header[1].replace(/\s+\[.*\]$/, '').trim(), message || 'failed', location),
    );
  }
  return reportFromTotals('vitest', totals, failures);
}
