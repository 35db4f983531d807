/**
 * Jest's default reporter: the counts of its `Tests:` line (`2 failed, 1 skipped, 2 passed, 5 total`)
 * and each failure block (`  ● describe › test`): the message is the text before the code frame and the
 * stack, the location the first stack frame of the repository's own code. A file that could not run
 * (`● Test suite failed to run`) is named by its preceding `FAIL path` line.
 */
import {
  reportFromTotals,
  readBlock,
  failedTest,
  firstOwnLocation,
  joinMessage,
  type FailedTest,
  type TestReport,
} from './test-report.js';

/** Parses Jest output; null when the text has no Jest `Tests:` summary nor a `●` failure block. */
export function parseJest(text: string): TestReport | null {
  const lines = text.split('\n');
  const totals = lines.find((l) => /^Tests:\s+.*\d+ total/.test(l));
  if (!totals && !lines.some((l) => /^ {2}● /.test(l))) {
    return null;
  }
  const failures: FailedTest[] = [];
  let file = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fail = /^FAIL (\S+)/.exec(line);
    if (fail?.[1]) {
      file = fail[1];
      continue;
    }
    const header = /^ {2}● (.+)$/.exec(line);
    if (!header?.[1]) {
      continue;
    }
    const block = readBlock(
      lines,
      i + 1,
      (next) => /^ {2}● /.test(next) || /^(FAIL|PASS|Test Suites:|Tests:) /.test(next),
    );
    i = block.end - 1;
    const body = block.body;
    const frames = body.filter((l) => /^\s+at /.test(l));
    // The message ends where the code frame (`> 15 | …`, ` 14 | …`) or the stack starts.
    const end = body.findIndex((l) => /^\s*>?\s*\d+ \|/.test(l) || /^\s+at /.test(l));
    const message = joinMessage((end < 0 ? body : body.slice(0, end)).map((l) => l.trim()));
    const name = header[1] === 'Test suite failed to run' && file ? file : header[1];
    failures.push(failedTest(name, message || 'failed', firstOwnLocation(frames)));
  }
  return reportFromTotals('jest', totals, failures);
}
