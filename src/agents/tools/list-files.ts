/**
 * `list_files`: the files under a directory (those git would track). A directory with many files is
 * summarised: its subdirectories with their file counts, and the files directly in it.
 */
import { z } from 'zod';
import { defineTool } from './tool-context.js';

/** Paths listed in full at most; above it the listing is summarised by directory. */
export const LIST_MAX_FILES = 200;

export const listFiles = defineTool({
  name: 'list_files',
  description: 'List files, optionally under dir (many: subdirectories with counts).',
  args: z.object({
    dir: z.string().optional(),
  }),
  async run(args, ctx) {
    const files = await ctx.listFiles(args.dir);
    if (files.length <= LIST_MAX_FILES) {
      return { ok: true, files, total: files.length };
    }
    const prefix = args.dir ? `${args.dir.replace(/\/+$/, '')}/` : '';
    const dirs = new Map<string, number>();
    const here: string[] = [];
    for (const path of files) {
      const rest = path.startsWith(prefix) ? path.slice(prefix.length) : path;
      const slash = rest.indexOf('/');
      if (slash < 0) {
        here.push(path);
      } else {
        const dir = `${prefix}${rest.slice(0, slash)}/`;
        dirs.set(dir, (dirs.get(dir) ?? 0) + 1);
      }
    }
    return {
      ok: true,
      total: files.length,
      directories: [...dirs].map(([dir, count]) => `${dir} (${count} files)`),
      files: here.slice(0, LIST_MAX_FILES),
      note: `${files.length} files: too many to list; call list_files with one of the directories`,
    };
  },
});
