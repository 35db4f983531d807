import { Script, createContext, type Context } from 'node:vm';

/** One matching line: 1-based number and the line's text (cut at 500 characters). */
export interface LineMatch {
  line: number;
  text: string;
}

const MAX_LINE_CHARS = 500;

const SCRIPT = new Script(`
  out = [];
  lines = text.split('\\n');
  for (let i = 0; i < lines.length && out.length < limit; i++) {
    if (re.test(lines[i])) { out.push(i); }
  }
`);

/**
 * Matches one regular expression against texts line by line, under a time limit. Matching runs in a
 * `node:vm` context with a `timeout`, which V8 enforces inside the regular expression engine too, so a
 * catastrophically backtracking pattern written by an agent (`(a+)+$`) cannot block the worker's event
 * loop. One context is made per matcher (about a millisecond) and reused for every text.
 */
export class LineMatcher {
  private readonly context: Context;

  constructor(regex: RegExp) {
    const re = new RegExp(regex.source, regex.flags.replace(/[gy]/g, ''));
    this.context = createContext({ re, text: '', limit: 0, out: [], lines: [] });
  }

  /**
   * Returns up to `limit` matching lines of `text`, or `'timeout'` when matching took longer than
   * `budgetMs` (ms).
   */
  match(text: string, limit: number, budgetMs: number): LineMatch[] | 'timeout' {
    if (budgetMs <= 0) {
      return 'timeout';
    }
    this.context.text = text;
    this.context.limit = limit;
    try {
      SCRIPT.runInContext(this.context, { timeout: Math.max(1, Math.floor(budgetMs)) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        return 'timeout';
      }
      throw error;
    }
    const lines = this.context.lines as string[];
    const found = (this.context.out as number[]).map((i) => ({
      line: i + 1,
      text: (lines[i] ?? '').replace(/\r$/, '').slice(0, MAX_LINE_CHARS),
    }));
    this.context.text = '';
    this.context.lines = [];
    return found;
  }
}
