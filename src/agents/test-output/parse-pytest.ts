/**
 * pytest's terminal output (any verbosity): the counts of its last line (`2 failed, 2 passed, 1 skipped
 * in 0.24s`), the failing node ids of the "short test summary info" (`FAILED tests/x.py::test_y - msg`,
 * `ERROR tests/x.py`), and from each `FAILURES`/`ERRORS` section (`____ test_y ____`) the `E   ` lines as
 * the message and the innermost `path.py:line:` as the location. Errors (collection errors, errors in
 * fixtures) count as failures.
 */
import {
  failedTest,
  joinMessage,
  parseLocation,
  type FailedTest,
  type TestReport,
} from './test-report.js';

const COUNTS =
  /^=*\s*((?:\d+ (?:failed|passed|skipped|deselected|xfailed|xpassed|errors?|warnings?)(?:, )?)+)(?: in [\d.]+s.*?)?\s*=*\s*$/;

/** Parses pytest output; null when the text is not pytest's. */
export function parsePytest(text: string): TestReport | null {
  const lines = text.split('\n');
  const countsLine = [...lines].reverse().find((l) => COUNTS.test(l) && / in [\d.]+s/.test(l));
  const started = lines.some((l) => /^=+ test session starts =+$/.test(l));
  const summaryStart = lines.findIndex((l) => /^=+ short test summary info =+$/.test(l));
  if (!countsLine && !started && summaryStart < 0) {
    return null;
  }
  const counts: Record<string, number> = {};
  for (const [, n, what] of (countsLine ?? '').matchAll(/(\d+) (\w+)/g)) {
    counts[what === 'error' ? 'errors' : (what ?? '')] = Number(n);
  }
  const sections = readSections(lines);
  const failures: FailedTest[] = [];
  const seen = new Set<string>();
  if (summaryStart >= 0) {
    for (const entry of summaryEntries(lines, summaryStart + 1)) {
      const section = sections.find((s) => sectionMatches(s.title, entry.id));
      failures.push(toFailure(entry.id, entry.message, section));
      if (section) {
        seen.add(section.title);
      }
    }
  }
  for (const section of sections) {
    if (!seen.has(section.title)) {
      failures.push(
        toFailure(section.title.replace(/^ERROR (collecting|at \w+ of) /, ''), '', section),
      );
    }
  }
  const failed = (counts.failed ?? 0) + (counts.errors ?? 0);
  return {
    runner: 'pytest',
    passed: countsLine ? (counts.passed ?? 0) : null,
    failed: Math.max(failed, failures.length),
    skipped: countsLine ? (counts.skipped ?? 0) : null,
    failures,
  };
}

interface Section {
  title: string;
  lines: string[];
}

/** The `____ title ____` sections under the `FAILURES` and `ERRORS` headers. */
function readSections(lines: readonly string[]): Section[] {
  const sections: Section[] = [];
  let inside = false;
  let current: Section | undefined;
  for (const line of lines) {
    if (/^=+ (FAILURES|ERRORS) =+$/.test(line)) {
      inside = true;
      current = undefined;
      continue;
    }
    if (/^=+ .* =+$/.test(line) || /^!+ .* !+$/.test(line)) {
      inside = false;
      current = undefined;
      continue;
    }
    const header = /^_{3,} (.+?) _{3,}$/.exec(line);
    if (inside && header?.[1]) {
      current = { title: header[1], lines: [] };
      sections.push(current);
    } else if (current) {
      current.lines.push(line);
    }
  }
  return sections;
}

/** `FAILED id - message` / `ERROR id - message` entries, a message running on until the next entry. */
function summaryEntries(
  lines: readonly string[],
  start: number,
): { id: string; message: string }[] {
  const entries: { id: string; message: string[] }[] = [];
  for (const line of lines.slice(start)) {
    if (/^=+ .* =+$/.test(line) || /^!+ .* !+$/.test(line) || COUNTS.test(line)) {
      break;
    }
    const entry = /^(FAILED|ERROR) (\S+)(?: - (.*))?$/.exec(line);
    if (entry?.[2]) {
      entries.push({ id: entry[2], message: entry[3] ? [entry[3]] : [] });
    } else if (entries.length > 0 && line.trim() !== '') {
      entries.at(-1)?.message.push(line);
    }
  }
  return entries.map((e) => ({ id: e.id, message: e.message.join('\n') }));
}

/** A section titled `TestAdd.test_x` or `test_x[1]` belongs to node id `…::TestAdd::test_x`. */
function sectionMatches(title: string, id: string): boolean {
  const collecting = /^ERROR collecting (.+)$/.exec(title);
  if (collecting) {
    return collecting[1] === id;
  }
  return id.endsWith(`::${title.replaceAll('.', '::')}`);
}

function toFailure(id: string, summary: string, section: Section | undefined): FailedTest {
  const errors = (section?.lines ?? [])
    .filter((l) => /^E {2,}/.test(l))
    .map((l) => l.replace(/^E {2,}/, ''));
  const intro = (section?.lines ?? []).filter((l) => /^ImportError while|^\S+Error while/.test(l));
  // The innermost frame is the last `path.py:line:` line of the section.
  const locations = (section?.lines ?? []).filter((l) => /^\S+\.py:\d+:/.test(l));
  const location = parseLocation(locations.at(-1) ?? '');
  const message = errors.length > 0 ? joinMessage([...intro, ...errors]) : joinMessage([summary]);
  return failedTest(id, message || 'failed', location);
}
