/**
 * `search`: text or regular-expression search over the files git would track (SWE-agent's
 * `search_dir`/`search_file`), with context lines, a match count per file, and caps on matches shown and
 * characters. Files are read through the sandbox's confined file access; binary files and files over its
 * size cap are skipped. Regular expressions run under a time budget (`LineMatcher`), so a pattern that
 * backtracks catastrophically is refused instead of stalling the worker.
 */
import { minimatch } from 'minimatch';
import { z } from 'zod';
import { LineMatcher } from '../../sandbox/regex-search.js';
import { readIfText } from './read-text-file.js';
import { defineTool, fail, type ToolContext } from './tool-context.js';
import { cutLine, splitLines } from './text-lines.js';

/** Matching lines shown at most (all are counted). */
export const SEARCH_MAX_SHOWN = 50;
/** Files with matches listed at most. */
const MAX_FILES_LISTED = 100;
/** Most characters of shown matches. */
const SEARCH_MAX_CHARS = 10_000;
/** Time all regular-expression matching of one search may take, in ms. */
const SEARCH_BUDGET_MS = 5_000;
/** Matches counted per file at most. */
const PER_FILE_LIMIT = 10_000;

export const searchFiles = defineTool({
  name: 'search',
  description: `Search files for text (regex: true for a JavaScript regex). Matching lines with context, counts per file. path: a directory, file or glob.`,
  args: z.object({
    pattern: z.string().min(1),
    regex: z.boolean().optional(),
    ignore_case: z.boolean().optional(),
    path: z.string().optional(),
    context: z.coerce
      .number()
      .int()
      .min(0)
      .max(10)
      .optional()
      .describe('Context lines (default 2)'),
  }),
  async run(args, ctx) {
    let regex: RegExp;
    try {
      const source =
        args.regex === true ? args.pattern : args.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      regex = new RegExp(source, args.ignore_case === true ? 'i' : '');
    } catch (error) {
      return fail('invalid_pattern', `invalid regular expression: ${(error as Error).message}`);
    }
    const files = await candidateFiles(ctx, args.path);
    const matcher = new LineMatcher(regex);
    const deadline = Date.now() + SEARCH_BUDGET_MS;
    const context = args.context ?? 2;
    const counts: { path: string; matches: number }[] = [];
    const blocks: string[] = [];
    let shown = 0;
    let chars = 0;
    let total = 0;
    for (const path of files) {
      const text = await readIfText(ctx, path);
      if (text === undefined) {
        continue;
      }
      const found = matcher.match(text, PER_FILE_LIMIT, deadline - Date.now());
      if (found === 'timeout') {
        return fail(
          'invalid_pattern',
          `the pattern took longer than ${SEARCH_BUDGET_MS} ms; make it simpler or narrow path`,
        );
      }
      if (found.length === 0) {
        continue;
      }
      total += found.length;
      counts.push({ path, matches: found.length });
      if (shown >= SEARCH_MAX_SHOWN || chars >= SEARCH_MAX_CHARS) {
        continue;
      }
      const block = renderMatches(
        path,
        splitLines(text).lines,
        found.map((f) => f.line),
        context,
        SEARCH_MAX_SHOWN - shown,
      );
      shown += block.shown;
      chars += block.text.length;
      blocks.push(block.text);
    }
    const notes: string[] = [];
    if (shown < total) {
      notes.push(
        `${shown} of ${total} matching lines shown; narrow the search with path or a more specific pattern`,
      );
    }
    if (counts.length > MAX_FILES_LISTED) {
      notes.push(`${counts.length - MAX_FILES_LISTED} more files with matches not listed`);
    }
    if (total === 0) {
      notes.push(
        `no match for ${args.regex === true ? 'the regular expression' : 'the text'} ${JSON.stringify(args.pattern)} in ${files.length} files`,
      );
    }
    return {
      ok: true,
      total_matches: total,
      files: counts.slice(0, MAX_FILES_LISTED),
      results: blocks.join('\n'),
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    };
  },
});

/** The files `path` selects: a directory's files, one file, or the files a glob matches. */
async function candidateFiles(ctx: ToolContext, path: string | undefined): Promise<string[]> {
  if (path === undefined || path === '' || path === '.') {
    return ctx.listFiles();
  }
  if (/[*?[\]{}]/.test(path)) {
    const all = await ctx.listFiles();
    return all.filter((p) => minimatch(p, path, { dot: true, matchBase: !path.includes('/') }));
  }
  const all = await ctx.listFiles();
  const clean = path.replace(/^\.\//, '').replace(/\/+$/, '');
  return all.filter((p) => p === clean || p.startsWith(`${clean}/`));
}

/** `path (N matches)` then grep-style lines (`12:` a match, `13-` context, `--` between groups). */
function renderMatches(
  path: string,
  lines: readonly string[],
  matches: readonly number[],
  context: number,
  room: number,
): { text: string; shown: number } {
  const out = [`${path} (${matches.length} ${matches.length === 1 ? 'match' : 'matches'})`];
  const hits = new Set(matches.slice(0, room));
  let last = 0;
  for (const hit of matches.slice(0, room)) {
    const from = Math.max(1, hit - context, last + 1);
    const to = Math.min(lines.length, hit + context);
    if (last > 0 && from > last + 1) {
      out.push('  --');
    }
    for (let n = from; n <= to; n++) {
      out.push(`  ${n}${hits.has(n) ? ':' : '-'} ${cutLine(lines[n - 1] ?? '', 300)}`);
    }
    last = Math.max(last, to);
  }
  return { text: out.join('\n'), shown: hits.size };
}
