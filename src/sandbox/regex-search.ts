import { Script, createContext } from 'node:vm';

/** One matching line: 1-based number and the line's text (cut at 500 characters). */
export interface LineMatch {
  line: number;
  text: string;
}

const MAX_LINE_CHARS = 500;

const SCRIPT = new Script(`
  out = [];
  const lines = text.split('\\n');
  for (let i = 0; i < lines.length && out.length < limit; i++) {
    if (re.test(lines[i])) { out.push(i); }
  }
`);

/**
 * Tests `regex` against each line of `text` and returns up to `limit` matching lines, or `'timeout'` when
 * matching took longer than `budgetMs`. Matching runs in a `node:vm` context with a `timeout`, which V8
 * enforces inside the regular expression engine too, so a catastrophically backtracking pattern written
 * by an agent (`(a+)+$`) cannot block the worker's event loop.
 */
export function regexSearch(
  regex: RegExp,
  text: string,
  limit: number,
  budgetMs: number,
): LineMatch[] | 'timeout' {
  if (budgetMs <= 0) {
    return 'timeout';
  }
  const re = new RegExp(regex.source, regex.flags.replace(/[gy]/g, ''));
  const context = createContext({ re, text, limit, out: [] as number[] });
  try {
    SCRIPT.runInContext(context, { timeout: Math.max(1, Math.floor(budgetMs)) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      return 'timeout';
    }
    throw error;
  }
  const lines = text.split('\n');
  return (context.out as number[]).map((i) => ({
    line: i + 1,
    text: (lines[i] ?? '').replace(/\r$/, '').slice(0, MAX_LINE_CHARS),
  }));
}
