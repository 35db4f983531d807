/**
 * Slash-command parsing for issue and pull-request comments (`/approve`, `/reject <why>`, …).
 *
 * Rules (docs/commands.md): a command is a line whose first non-blank text is `/<name>`, matched
 * case-insensitively; the rest of the line is its argument text. Lines inside fenced code blocks
 * (``` or ~~~, CommonMark §4.5), indented code blocks are NOT skipped (a four-space indent is rare in
 * chat and skipping it would hide real commands), and quoted lines (`>` prefix, CommonMark §5.1) are
 * ignored, so quoting someone else's `/approve` never re-issues it. Unknown `/words` are not commands.
 */
import { z } from 'zod';

/** Every command Tandem understands. */
export const CommandName = z.enum([
  'approve',
  'reject',
  'retry',
  'stop',
  'pause',
  'resume',
  'status',
  'escalate',
]);
export type CommandName = z.infer<typeof CommandName>;

/** One command found in a comment: its name and the trimmed text after it (may be empty). */
export const ParsedCommand = z.object({
  name: CommandName,
  args: z.string(),
});
export type ParsedCommand = z.infer<typeof ParsedCommand>;

const COMMAND_LINE = /^\/([a-z]+)(?:\s+(.*))?$/i;
const FENCE = /^(`{3,}|~{3,})/;

/**
 * Finds the commands in a comment body, in order of appearance. A repeated command is kept once
 * (the first occurrence), so `/approve` twice in one comment approves once.
 */
export function parseCommands(body: string): ParsedCommand[] {
  const found: ParsedCommand[] = [];
  const seen = new Set<CommandName>();
  let fence: string | null = null;
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    const fenceMatch = FENCE.exec(line);
    if (fence !== null) {
      // A fence closes with at least as many of the same characters (CommonMark §4.5).
      if (
        fenceMatch?.[1] &&
        fenceMatch[1][0] === fence[0] &&
        fenceMatch[1].length >= fence.length
      ) {
        fence = null;
      }
      continue;
    }
    if (fenceMatch?.[1]) {
      fence = fenceMatch[1];
      continue;
    }
    if (line.startsWith('>')) {
      continue;
    }
    const match = COMMAND_LINE.exec(line);
    const name = CommandName.safeParse(match?.[1]?.toLowerCase());
    if (!match || !name.success || seen.has(name.data)) {
      continue;
    }
    seen.add(name.data);
    found.push({ name: name.data, args: (match[2] ?? '').trim() });
  }
  return found;
}
