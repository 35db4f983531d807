/**
 * TAP (Test Anything Protocol, version 13/14: https://testanything.org/tap-version-14-specification.html)
 * as `node --test` and tape write it. A `not ok` line is a failure; its YAML diagnostic block (indented
 * `---` … `...`) carries the message and location: node's `error`, `name`, `location`, `stack`, tape's
 * `operator`, `expected`, `actual`, `at`. Node nests subtests by indentation under `# Subtest: name`
 * comments; tape groups assertions under `# test name` comments. A parent failing only because a subtest
 * failed (`failureType: 'subtestsFailed'`) is not reported twice. Comment lines before a failure (node
 * prints a file's own error output there when the file could not be loaded) and a crash after the last
 * TAP line (an uncaught exception ending the process) are kept as messages.
 */
import {
  failedTest,
  firstOwnLocation,
  joinMessage,
  parseLocation,
  type FailedTest,
  type TestReport,
} from './test-report.js';

const TEST_LINE = /^(\s*)(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$/;
const DIRECTIVE = /\s+#\s*(skip|todo)\b.*$/i;

/** Parses TAP output; null when the text has no TAP test line. */
export function parseTap(text: string): TestReport | null {
  const lines = text.split('\n');
  if (!lines.some((l) => TEST_LINE.test(l) && /^\s*(not )?ok\b/.test(l))) {
    return null;
  }
  const failures: FailedTest[] = [];
  const subtests: { indent: number; name: string }[] = [];
  let group = '';
  let comments: string[] = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let lastTapLine = -1;
  const summary: Record<string, number> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const subtest = /^(\s*)# Subtest: (.*)$/.exec(line);
    if (subtest) {
      const indent = subtest[1]?.length ?? 0;
      while (subtests.length > 0 && (subtests.at(-1)?.indent ?? 0) >= indent) {
        subtests.pop();
      }
      subtests.push({ indent, name: subtest[2] ?? '' });
      lastTapLine = i;
      continue;
    }
    const count = /^# (tests|pass|fail|skipped|skip|todo|cancelled)\s+(\d+)\s*$/.exec(line);
    if (count?.[1] && count[2]) {
      summary[count[1]] = Number(count[2]);
      lastTapLine = i;
      continue;
    }
    const comment = /^\s*#\s?(.*)$/.exec(line);
    if (comment) {
      // tape marks a skipped test with a `# SKIP name` comment.
      if (/^# SKIP\b/.test(line)) {
        skipped += 1;
      }
      // tape names the test an assertion belongs to in a top-level comment.
      if (!line.startsWith(' ') && !/^# (SKIP|TODO)\b/.test(line)) {
        group = comment[1] ?? '';
      }
      comments.push(comment[1] ?? '');
      lastTapLine = i;
      continue;
    }
    const test = TEST_LINE.exec(line);
    if (!test || /^\s*\d+\.\.\d+/.test(line)) {
      if (/^\s*\d+\.\.\d+/.test(line) || /^\s*TAP version/.test(line)) {
        lastTapLine = i;
      }
      continue;
    }
    lastTapLine = i;
    const indent = test[1]?.length ?? 0;
    const description = test[4] ?? '';
    const directive = DIRECTIVE.exec(description)?.[1]?.toLowerCase();
    const name = description.replace(DIRECTIVE, '').trim();
    const block = readYamlBlock(lines, i + 1);
    if (block.end > i) {
      i = block.end;
      lastTapLine = i;
    }
    // Node writes a parent test's own line after its subtests; only leaves count as tests for us.
    const isParent = subtests.length > 0 && (subtests.at(-1)?.indent ?? 0) > indent;
    while (subtests.length > 0 && (subtests.at(-1)?.indent ?? 0) > indent) {
      subtests.pop();
    }
    const parents = subtests.filter((s) => s.indent < indent).map((s) => s.name);
    if (directive === 'skip') {
      skipped += 1;
    } else if (test[2] === 'ok' || directive === 'todo') {
      if (!isParent) {
        passed += 1;
      }
    } else if (block.fields.failureType !== 'subtestsFailed') {
      failed += 1;
      const title = [
        ...parents,
        ...(group && subtests.length === 0 && group !== name ? [group] : []),
        name,
      ]
        .filter((s) => s !== '')
        .join(' > ');
      failures.push(tapFailure(title || `test ${test[3] ?? ''}`.trim(), block, comments));
    }
    comments = [];
  }
  const crash = crashAfter(lines, lastTapLine);
  if (crash) {
    failed += 1;
    failures.push(failedTest(group || 'test process', crash.message, crash.location));
  }
  return {
    runner: 'tap',
    passed: summary.pass ?? passed,
    failed: Math.max(summary.fail ?? failed, failures.length),
    skipped: summary.skipped ?? summary.skip ?? skipped,
    failures,
  };
}

interface YamlBlock {
  end: number;
  fields: Record<string, string>;
}

/** The YAML diagnostic block starting at `start` (a `---` line), as flat string fields. */
function readYamlBlock(lines: readonly string[], start: number): YamlBlock {
  const open = /^(\s*)---\s*$/.exec(lines[start] ?? '');
  if (!open) {
    return { end: start - 1, fields: {} };
  }
  const indent = open[1]?.length ?? 0;
  const fields: Record<string, string> = {};
  let key = '';
  let i = start + 1;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (/^\s*\.\.\.\s*$/.test(line) && line.indexOf('.') <= indent) {
      break;
    }
    const field = /^(\s*)([A-Za-z_]+):\s?(.*)$/.exec(line);
    // A key at the block's own depth starts a field; deeper lines continue the current one.
    if (
      field &&
      (field[1]?.length ?? 0) <= indent + 4 &&
      !(key && (field[1]?.length ?? 0) > indent + 4)
    ) {
      key = field[2] ?? '';
      const value = (field[3] ?? '').trim();
      fields[key] = /^[|>][-+]?$/.test(value) ? '' : unquote(value);
    } else if (key) {
      fields[key] = fields[key] ? `${fields[key]}\n${line.trim()}` : line.trim();
    }
  }
  return { end: Math.min(i, lines.length - 1), fields };
}

function unquote(value: string): string {
  const quoted = /^'(.*)'$/.exec(value) ?? /^"(.*)"$/.exec(value);
  return quoted ? (quoted[1] ?? '').replace(/''/g, "'") : value;
}

function tapFailure(name: string, block: YamlBlock, comments: readonly string[]): FailedTest {
  const f = block.fields;
  const parts: string[] = [];
  const error = f.error ?? '';
  if (error && error !== 'test failed') {
    parts.push(f.name && !error.startsWith(f.name) ? `${f.name}: ${error}` : error);
  }
  if (f.operator && f.expected !== undefined) {
    parts.push(`${f.operator}: expected ${f.expected}, actual ${f.actual ?? ''}`);
  }
  // A file that failed outside any test: its own error output came as comments before the line.
  const errorComment = comments.findIndex((c) => /\b\w*Error\b/.test(c));
  if (parts.length === 0 && errorComment >= 0) {
    parts.push(...comments.slice(Math.max(0, errorComment - 3), errorComment + 1));
  }
  if (parts.length === 0) {
    parts.push(error || 'failed');
  }
  const stack = (f.stack ?? '').split('\n');
  const location =
    firstOwnLocation([f.at ?? '', ...stack].filter((l) => l !== '')) ??
    (errorComment >= 0 ? firstOwnLocation(comments) : undefined) ??
    parseLocation(f.location ?? '');
  return failedTest(name, joinMessage(parts), location);
}

/** An uncaught error printed after the last TAP line (the process died before finishing the stream). */
function crashAfter(
  lines: readonly string[],
  last: number,
): { message: string; location: { file: string; line: number } | undefined } | undefined {
  const rest = lines.slice(last + 1);
  const errorLine = rest.findIndex(
    (l) => /^\w*(Error|Exception)\b.*:/.test(l) || /^Error\b/.test(l),
  );
  if (errorLine < 0) {
    return undefined;
  }
  const frames = rest.slice(errorLine + 1).filter((l) => /^\s+at /.test(l));
  return {
    message: `the test process crashed: ${rest[errorLine] ?? ''}`,
    location: firstOwnLocation(frames) ?? firstOwnLocation(rest.slice(0, errorLine)),
  };
}
