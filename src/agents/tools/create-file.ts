/**
 * `create_file`: writes a new file (parents are created). An existing file is refused unless `overwrite`
 * is set: changing part of a file goes through the edit tools, whose old text must match, so a file
 * read only in part is never written back shortened. Answered with the line count and a syntax check.
 */
import { z } from 'zod';
import { FileToolError } from '../../errors/index.js';
import { syntaxVerdict } from './edit-answer.js';
import { boundaryNote, writablePath } from './edit-guard.js';
import { defineTool, fail, type ToolContext, type ToolResult } from './tool-context.js';
import { splitLines } from './text-lines.js';

export const createFile = defineTool({
  name: 'create_file',
  description: (role) =>
    `Create a file. An existing one only with overwrite: true (edit parts with str_replace). ${boundaryNote(role, 'written')}`,
  args: z.object({
    path: z.string().min(1),
    content: z.string(),
    overwrite: z.boolean().optional(),
  }),
  async run(args, ctx): Promise<ToolResult> {
    const target = writablePath(ctx, args.path);
    if ('refused' in target) {
      return target.refused;
    }
    const before = await existing(ctx, target.path);
    if (before !== null && args.overwrite !== true) {
      return fail(
        'file_exists',
        `${target.path} exists already; change it with str_replace, insert or replace_lines, or set overwrite: true to replace it whole`,
      );
    }
    await ctx.files.writeFile(target.path, args.content);
    return {
      ok: true,
      path: target.path,
      [before === null ? 'created' : 'overwritten']: true,
      lines: splitLines(args.content).lines.length,
      syntax: await syntaxVerdict(
        target.path,
        typeof before === 'string' ? before : null,
        args.content,
      ),
    };
  },
});

/** The file's text, `true` when it exists but cannot be read as text here (too large), null when absent. */
async function existing(ctx: ToolContext, path: string): Promise<string | true | null> {
  try {
    return await ctx.files.readFile(path);
  } catch (error) {
    if (error instanceof FileToolError && error.type === 'not_found') {
      return null;
    }
    if (error instanceof FileToolError && error.type === 'too_large') {
      return true;
    }
    throw error;
  }
}
