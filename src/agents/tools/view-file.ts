/**
 * `view_file`: a window of a file with line numbers (SWE-agent's windowed viewer). It says how many lines
 * the file has and how to see the rest; nothing is cut silently: a long line ends with a marker, and a
 * window over the character budget ends early with the line to continue from.
 */
import { z } from 'zod';
import { readTextFile } from './read-text-file.js';
import { defineTool, fail } from './tool-context.js';
import { cutLine, numberLines, splitLines } from './text-lines.js';

/** Lines shown when no end is asked for. */
export const VIEW_WINDOW_LINES = 100;
/** Most lines one call shows. */
export const VIEW_MAX_LINES = 400;
/** Most characters one call shows (the window ends early past it). */
export const VIEW_MAX_CHARS = 16_000;

const line = z.coerce.number().int().min(1);

export const viewFile = defineTool({
  name: 'view_file',
  description: `Show a file with line numbers: ${VIEW_WINDOW_LINES} lines from start_line (default 1), or to end_line (max ${VIEW_MAX_LINES}).`,
  args: z.object({
    path: z.string().min(1).describe('Repository-relative path'),
    start_line: line.optional(),
    end_line: line.optional(),
  }),
  async run(args, ctx) {
    const read = await readTextFile(ctx, args.path);
    if ('refused' in read) {
      return read.refused;
    }
    const { lines } = splitLines(read.text);
    const total = lines.length;
    if (total === 0) {
      return { ok: true, path: args.path, total_lines: 0, content: '', note: 'The file is empty.' };
    }
    const start = args.start_line ?? 1;
    if (start > total) {
      return fail(
        'invalid_range',
        `start_line ${start} is past the end: ${args.path} has ${total} lines`,
      );
    }
    if (args.end_line !== undefined && args.end_line < start) {
      return fail('invalid_range', `end_line ${args.end_line} is before start_line ${start}`);
    }
    const asked = args.end_line ?? start + VIEW_WINDOW_LINES - 1;
    let end = Math.min(total, asked, start + VIEW_MAX_LINES - 1);
    // Stop early rather than cut the window silently when its lines are long.
    let chars = 0;
    for (let n = start; n <= end; n++) {
      chars += cutLine(lines[n - 1] ?? '').length + 8;
      if (chars > VIEW_MAX_CHARS && n > start) {
        end = n - 1;
        break;
      }
    }
    const notes: string[] = [];
    if (start > 1) {
      notes.push(`${start - 1} lines above not shown.`);
    }
    if (end < total) {
      const why =
        end < Math.min(total, asked)
          ? ' (the window ended early to stay within its size limit)'
          : '';
      notes.push(
        `${total - end} lines below not shown${why}: call view_file with start_line=${end + 1} to continue.`,
      );
    }
    return {
      ok: true,
      path: args.path,
      total_lines: total,
      shown: `${start}-${end}`,
      content: numberLines(lines.slice(start - 1, end), start),
      ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
    };
  },
});
