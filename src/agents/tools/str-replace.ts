/**
 * `str_replace`: replaces one exact occurrence of `old_str` (OpenHands' and Anthropic's editor tool). No
 * occurrence: the answer shows the places it was probably meant to match; several: their line numbers, so
 * the agent can add context. Answered with the edited region and a syntax check.
 */
import { z } from 'zod';
import { describeEdit } from './edit-answer.js';
import { boundaryNote, openForEdit } from './edit-guard.js';
import { matchCandidates } from './match-candidates.js';
import { defineTool, fail, type ToolResult } from './tool-context.js';
import { lineOfOffset, splitLines } from './text-lines.js';

export const strReplace = defineTool({
  name: 'str_replace',
  description: (role) =>
    `Replace old_str with new_str in a file. old_str must match exactly once (whitespace included): add lines around it to make it unique. ${boundaryNote(role)}`,
  args: z.object({
    path: z.string().min(1),
    old_str: z.string().min(1).describe('Exact text, without line numbers'),
    new_str: z.string(),
  }),
  async run(args, ctx): Promise<ToolResult> {
    const target = await openForEdit(ctx, args.path);
    if ('refused' in target) {
      return target.refused;
    }
    const before = target.text;
    // A model writes `\n`; a file with CRLF line ends is matched and edited in its own convention.
    const crlf = before.includes('\r\n');
    const oldStr = crlf ? args.old_str.replace(/\r?\n/g, '\r\n') : args.old_str;
    const newStr = crlf ? args.new_str.replace(/\r?\n/g, '\r\n') : args.new_str;
    const offsets: number[] = [];
    for (let i = before.indexOf(oldStr); i !== -1; i = before.indexOf(oldStr, i + 1)) {
      offsets.push(i);
    }
    if (offsets.length === 0) {
      return noMatch(target.path, before, args.old_str);
    }
    if (offsets.length > 1) {
      const lines = offsets.map((o) => lineOfOffset(before, o));
      return fail(
        'ambiguous_match',
        `old_str occurs ${offsets.length} times in ${target.path} (starting on lines ${lines.join(', ')}); include more of the surrounding lines so it matches exactly once`,
      );
    }
    const at = offsets[0] ?? 0;
    const after = `${before.slice(0, at)}${newStr}${before.slice(at + oldStr.length)}`;
    await ctx.files.writeFile(target.path, after);
    const firstLine = lineOfOffset(after, at);
    const lastLine = firstLine + Math.max(0, splitLines(newStr).lines.length - 1);
    return {
      ok: true,
      path: target.path,
      ...(await describeEdit({ path: target.path, before, after, firstLine, lastLine })),
    };
  },
});

function noMatch(path: string, text: string, oldStr: string): ToolResult {
  const found = matchCandidates(splitLines(text).lines, splitLines(oldStr).lines);
  if (found.candidates.length === 0) {
    return fail(
      'no_match',
      `old_str was not found in ${path}, and no similar lines either; view the file to copy the exact text`,
    );
  }
  const intro =
    found.kind === 'whitespace'
      ? `old_str was not found in ${path} exactly, but matches when indentation and trailing spaces are ignored. The file has:`
      : `old_str was not found in ${path}. The most similar lines are:`;
  const shown = found.candidates.map((c) => `lines from ${c.line}:\n${c.lines}`).join('\n\n');
  return fail(
    'no_match',
    `${intro}\n${shown}\nCopy the exact text (without the line numbers) into old_str.`,
  );
}
