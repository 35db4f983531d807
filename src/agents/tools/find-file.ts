/**
 * `find_file`: files by name or glob (SWE-agent's `find_file`), among the files git would track. A
 * pattern without glob characters matches file names containing it (case-insensitive); a glob matches
 * the file name, or the whole path when it has a `/`.
 */
import { minimatch } from 'minimatch';
import { z } from 'zod';
import { defineTool } from './tool-context.js';

/** Paths listed at most. */
export const FIND_MAX_RESULTS = 100;

export const findFile = defineTool({
  name: 'find_file',
  description:
    'Find files by name: part of the name (case-insensitive) or a glob (*.test.ts, src/**/util*.py).',
  args: z.object({
    pattern: z.string().min(1),
    dir: z.string().optional(),
  }),
  async run(args, ctx) {
    const files = await ctx.listFiles(args.dir);
    const glob = /[*?[\]{}]/.test(args.pattern);
    const needle = args.pattern.toLowerCase();
    const matches = files.filter((path) =>
      glob
        ? minimatch(path, args.pattern, {
            dot: true,
            matchBase: !args.pattern.includes('/'),
            nocase: true,
          })
        : path
            .slice(path.lastIndexOf('/') + 1)
            .toLowerCase()
            .includes(needle),
    );
    return {
      ok: true,
      files: matches.slice(0, FIND_MAX_RESULTS),
      total: matches.length,
      ...(matches.length > FIND_MAX_RESULTS
        ? {
            note: `${matches.length - FIND_MAX_RESULTS} more not shown: make the pattern or dir narrower`,
          }
        : {}),
      ...(matches.length === 0 ? { note: `no file name matches ${args.pattern}` } : {}),
    };
  },
});
