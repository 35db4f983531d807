/**
 * A budgeted excerpt of a failing test run for an agent's next prompt, in which the failing lines always
 * survive. A plain tail cut loses them: runners print failures first and summaries, coverage or
 * warnings last (TAP's `not ok` lines, pytest's `E` lines). The excerpt is:
 * 1. the run's reason (why it is `broken`), when there is one;
 * 2. the failing cases of the JUnit report with the first line of their message;
 * 3. from the output, windows of context around each line that looks like a failure (earliest first,
 *    as the first failure usually explains the rest), with the number of lines left out between them;
 * 4. the last lines of the output (the runner's summary).
 * Without a failure-looking line the output's tail is used.
 */
import type { SuiteRun } from '../run-suite.js';

/** A line that reports a failure in the common runners' output. */
const FAILURE_LINE =
  /\b(FAIL(?:ED|URE)?|ERROR|[A-Za-z]*Error|Exception|Traceback|assert(?:ion)?|Assert(?:ion)?|panic|[Ee]xpected|[Rr]eceived|undefined:)\b|^\s*not ok\b|^E\s|^>\s|✗|×|●/;

/** Terminal colour and style sequences. */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Lines of context kept before and after a failure line. */
const BEFORE = 2;
const AFTER = 4;
/** Lines of the output's end always kept (the summary), at most {@link TAIL_CHARS} characters. */
const TAIL_LINES = 10;
const TAIL_CHARS = 600;
/** Failing cases listed from the report. */
const MAX_CASES = 10;

/** The excerpt of `run` in at most `budget` characters (see the module comment). */
export function failureExcerpt(
  run: Pick<SuiteRun, 'output' | 'cases'> & { reason?: string | undefined },
  budget = 3_000,
): string {
  const head: string[] = [];
  if (run.reason) {
    head.push(run.reason);
  }
  const failing = (run.cases ?? []).filter((c) => c.outcome === 'failed' || c.outcome === 'error');
  for (const c of failing.slice(0, MAX_CASES)) {
    const first = (c.message ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
    head.push(
      `${c.outcome === 'error' ? 'ERROR' : 'FAILED'} ${c.id}${first ? `: ${first.trim().slice(0, 200)}` : ''}`,
    );
  }
  if (failing.length > MAX_CASES) {
    head.push(`… and ${failing.length - MAX_CASES} more failing tests`);
  }
  const top = cut(head.join('\n'), Math.floor(budget / 2));
  const rest = budget - top.length - (top ? 1 : 0);
  const body = outputExcerpt(run.output.replace(ANSI, ''), rest);
  return [top, body].filter(Boolean).join('\n');
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Failure windows of `output` plus its last lines, in at most `budget` characters. */
function outputExcerpt(output: string, budget: number): string {
  const lines = output.replace(/\s+$/, '').split('\n');
  if (output.length <= budget) {
    return output.replace(/\s+$/, '');
  }
  const keys = lines.flatMap((l, i) => (FAILURE_LINE.test(l) ? [i] : []));
  let tailStart = Math.max(0, lines.length - TAIL_LINES);
  while (tailStart < lines.length - 1 && lines.slice(tailStart).join('\n').length > TAIL_CHARS) {
    tailStart += 1;
  }
  const tail = lines.slice(tailStart).join('\n').slice(-TAIL_CHARS);
  if (keys.length === 0) {
    return `[… output cut]\n${output.slice(-(budget - 15)).replace(/^[^\n]*\n/, '')}`;
  }
  // Merged windows [from, to) around the failure lines, earliest first.
  const windows: [number, number][] = [];
  for (const k of keys) {
    const from = Math.max(0, k - BEFORE);
    const to = Math.min(tailStart, k + AFTER + 1);
    const last = windows.at(-1);
    if (last && from <= last[1]) {
      last[1] = Math.max(last[1], to);
    } else if (from < to) {
      windows.push([from, to]);
    }
  }
  const room = budget - tail.length - 40;
  const parts: string[] = [];
  let used = 0;
  let shownTo = 0;
  for (const [from, to] of windows) {
    const gap = from - shownTo;
    const block = lines.slice(from, to).join('\n');
    const marker = gap > 0 ? `[… ${gap} lines]\n` : '';
    if (used + marker.length + block.length + 1 > room) {
      const left = room - used - marker.length - 1;
      if (left > 80) {
        parts.push(`${marker}${block.slice(0, left)}`);
        used = room;
      }
      break;
    }
    parts.push(`${marker}${block}`);
    used += marker.length + block.length + 1;
    shownTo = to;
  }
  const skipped = tailStart - shownTo;
  parts.push(`${skipped > 0 ? `[… ${skipped} lines]\n` : ''}${tail}`);
  return parts.join('\n');
}
