/**
 * `replace_lines`: replaces the lines `start_line`–`end_line` (inclusive) with new text, or deletes them
 * when the text is empty. Answered with the edited region and a syntax check.
 */
import { z } from 'zod';
import { describeEdit } from './edit-answer.js';
import { boundaryNote, openForEdit } from './edit-guard.js';
import { defineTool, fail, type ToolResult } from './tool-context.js';
import { joinLines, splitLines } from './text-lines.js';

const line = z.coerce.number().int().min(1);

export const replaceLines = defineTool({
  name: 'replace_lines',
  description: (role) =>
    `Replace lines start_line to end_line (inclusive) with text; empty text deletes them. ${boundaryNote(role)}`,
  args: z.object({
    path: z.string().min(1),
    start_line: line,
    end_line: line,
    text: z.string(),
  }),
  async run(args, ctx): Promise<ToolResult> {
    const target = await openForEdit(ctx, args.path);
    if ('refused' in target) {
      return target.refused;
    }
    const file = splitLines(target.text);
    const total = file.lines.length;
    if (args.end_line < args.start_line) {
      return fail(
        'invalid_range',
        `end_line ${args.end_line} is before start_line ${args.start_line}`,
      );
    }
    if (args.end_line > total) {
      return fail(
        'invalid_range',
        `end_line ${args.end_line} is past the end: ${target.path} has ${total} lines`,
      );
    }
    const replacement = splitLines(args.text).lines;
    file.lines.splice(args.start_line - 1, args.end_line - args.start_line + 1, ...replacement);
    const after = joinLines(file);
    await ctx.files.writeFile(target.path, after);
    return {
      ok: true,
      path: target.path,
      replaced: `${args.end_line - args.start_line + 1} lines with ${replacement.length}`,
      ...(await describeEdit({
        path: target.path,
        before: target.text,
        after,
        firstLine: args.start_line,
        lastLine: args.start_line + Math.max(0, replacement.length - 1),
      })),
    };
  },
});
