/**
 * Mocha's spec reporter (and the reporters that share its epilogue): the counts (`2 passing (32ms)`,
 * `1 pending`, `2 failing`) and each numbered failure after them (`  1) describe` with the title
 * continuing on deeper-indented lines up to the one ending in `:`), the message up to the stack and the
 * location the first stack frame of the repository's own code.
 */
import {
  readBlock,
  failedTest,
  firstOwnLocation,
  joinMessage,
  type FailedTest,
  type TestReport,
} from './test-report.js';

/** Parses Mocha output; null when the text has no `N passing (…)` line. */
export function parseMocha(text: string): TestReport | null {
  const lines = text.split('\n');
  const passingAt = lines.findIndex((l) => /^\s+\d+ passing \(\d+m?s\)/.test(l));
  if (passingAt < 0) {
    return null;
  }
  const number = (pattern: RegExp): number =>
    Number(
      lines
        .slice(passingAt)
        .find((l) => pattern.test(l))
        ?.match(/\d+/)?.[0] ?? 0,
    );
  const failures: FailedTest[] = [];
  for (let i = passingAt + 1; i < lines.length; i++) {
    const header = /^ {2}(\d+)\) (.*)$/.exec(lines[i] ?? '');
    if (!header) {
      continue;
    }
    const title = [header[2] ?? ''];
    let j = i + 1;
    // The title runs on (one describe or test per line) until a line that ends with `:`.
    while (!title.at(-1)?.endsWith(':') && j < lines.length && /^\s{5,}\S/.test(lines[j] ?? '')) {
      title.push((lines[j] ?? '').trim());
      j++;
    }
    const { body, end } = readBlock(lines, j, (next) => /^ {2}\d+\) /.test(next));
    i = end - 1;
    const stackAt = body.findIndex((l) => /^\s+at /.test(l));
    const message = joinMessage((stackAt < 0 ? body : body.slice(0, stackAt)).map((l) => l.trim()));
    const frames = body.filter((l) => /^\s+at /.test(l));
    const name = title.join(' ').replace(/:$/, '');
    failures.push(failedTest(name, message || 'failed', firstOwnLocation(frames)));
  }
  return {
    runner: 'mocha',
    passed: number(/^\s+\d+ passing/),
    failed: Math.max(number(/^\s+\d+ failing/), failures.length),
    skipped: number(/^\s+\d+ pending/),
    failures,
  };
}
