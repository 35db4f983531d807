/**
 * `insert`: inserts text after a given line (0 for the top of the file). Answered with the edited region
 * and a syntax check.
 */
import { z } from 'zod';
import { describeEdit } from './edit-answer.js';
import { boundaryNote, openForEdit } from './edit-guard.js';
import { defineTool, fail, type ToolResult } from './tool-context.js';
import { joinLines, splitLines } from './text-lines.js';

export const insertLines = defineTool({
  name: 'insert',
  description: (role) =>
    `Insert text after line number \`line\` (0: at the top). ${boundaryNote(role)}`,
  args: z.object({
    path: z.string().min(1),
    line: z.coerce.number().int().min(0),
    text: z.string(),
  }),
  async run(args, ctx): Promise<ToolResult> {
    const target = await openForEdit(ctx, args.path);
    if ('refused' in target) {
      return target.refused;
    }
    const file = splitLines(target.text);
    if (args.line > file.lines.length) {
      return fail(
        'invalid_range',
        `line ${args.line} is past the end: ${target.path} has ${file.lines.length} lines`,
      );
    }
    const inserted = splitLines(args.text).lines;
    if (inserted.length === 0) {
      return fail('invalid_arguments', 'text is empty: nothing to insert');
    }
    file.lines.splice(args.line, 0, ...inserted);
    // Inserting into an empty file makes it end with a line break, like any file the tools write.
    const after = joinLines({ ...file, finalNewline: file.finalNewline || target.text === '' });
    await ctx.files.writeFile(target.path, after);
    return {
      ok: true,
      path: target.path,
      ...(await describeEdit({
        path: target.path,
        before: target.text,
        after,
        firstLine: args.line + 1,
        lastLine: args.line + inserted.length,
      })),
    };
  },
});
