/**
 * A test run's output as agents and people get it, within a character budget: the start and the end of
 * stdout + stderr with an explicit marker where the middle was cut, then the failing tests (name,
 * location, message). The failing tests come last on purpose: whoever keeps only the end of the text
 * (a feedback note cut to its last characters) still keeps them, and they always fit: they get their
 * share of the budget first, the raw output what is left.
 */
import { plainText } from './parse-test-output.js';
import type { FailedTest } from './test-report.js';

/** What {@link renderTestOutput} renders. */
export interface RenderTestOutputInput {
  /** stdout + stderr as the runner wrote them. */
  output: string;
  failures: readonly FailedTest[];
  /** The runner's failing count when it is larger than `failures` (more failed than were listed). */
  failed?: number;
  /** Largest result, in characters. */
  budget: number;
}

/** Longest message kept per failing test, in characters. */
const MESSAGE_MAX = 500;
/** Share of the budget the failing tests may take. */
const FAILURES_SHARE = 0.6;

/** See the module comment. The result is at most `budget` characters. */
export function renderTestOutput(input: RenderTestOutputInput): string {
  const failures = renderFailures(
    input.failures,
    input.failed,
    Math.floor(input.budget * FAILURES_SHARE),
  );
  const room = input.budget - failures.length - (failures ? 2 : 0);
  const raw = cutMiddle(plainText(input.output).trim(), room);
  return [raw, failures].filter((s) => s !== '').join('\n\n');
}

/** The failing tests as a numbered list within `budget` characters ('' when there are none). */
export function renderFailures(
  failures: readonly FailedTest[],
  failed: number | undefined,
  budget: number,
): string {
  if (failures.length === 0) {
    return '';
  }
  const total = Math.max(failed ?? 0, failures.length);
  const more = (n: number) => `… ${n} more failing tests not shown`;
  const parts = [`Failing tests (${total}):`];
  let size = parts[0]?.length ?? 0;
  for (const [i, failure] of failures.entries()) {
    const where = failure.file ? ` (${failure.file}${failure.line ? `:${failure.line}` : ''})` : '';
    const message = cut(failure.message, MESSAGE_MAX)
      .split('\n')
      .map((l) => `   ${l}`)
      .join('\n');
    const entry = `${i + 1}. ${failure.name}${where}\n${message}`;
    const reserve = i < total - 1 ? more(total).length + 1 : 0;
    if (size + 1 + entry.length + reserve <= budget) {
      parts.push(entry);
      size += 1 + entry.length;
      continue;
    }
    // The first failing test always goes in, cut to what is left, so a failure is never lost entirely.
    if (i === 0) {
      parts.push(cut(entry, budget - size - 1 - reserve));
    }
    const left = total - (i === 0 ? 1 : i);
    if (left > 0) {
      parts.push(more(left));
    }
    return parts.join('\n');
  }
  if (total > failures.length) {
    parts.push(more(total - failures.length));
  }
  return parts.join('\n');
}

/**
 * `text` when it fits in `budget` characters; else its first 30% and last 70% of the budget around a
 * marker saying how much was cut (the end of a run's output, with the runner's summary, matters most).
 */
export function cutMiddle(text: string, budget: number): string {
  if (text.length <= budget) {
    return text;
  }
  const marker = (n: number) => `\n[… ${n} characters cut …]\n`;
  const room = budget - marker(text.length).length;
  if (room <= 0) {
    return text.slice(text.length - Math.max(0, budget));
  }
  const head = Math.floor(room * 0.3);
  const tail = room - head;
  const cutChars = text.length - head - tail;
  return `${text.slice(0, head)}${marker(cutChars)}${tail > 0 ? text.slice(-tail) : ''}`;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 16))}… [cut]`;
}
