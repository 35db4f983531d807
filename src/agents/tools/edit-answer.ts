/**
 * What an edit tool answers: the edited region with a few lines of context, numbered, and a syntax check
 * of the whole file in its language. An edit that breaks the syntax is applied all the same (an edit made
 * in two steps may pass through a broken state, and a refused edit pushes small models towards rewriting
 * whole files); the answer says so, with where, and whether the file was already broken before.
 */
import { CodeParser } from '../code-index/code-parser.js';
import { checkSyntax, type SyntaxProblem } from '../code-index/syntax-errors.js';
import { numberLines, splitLines } from './text-lines.js';

/** Lines of context shown around an edit. */
export const EDIT_CONTEXT_LINES = 4;
/** Most lines of an edited region shown; a longer region is shown by its start and end. */
const REGION_MAX_LINES = 40;

/** The syntax part of an edit's answer. */
export type SyntaxVerdict =
  | { ok: true; language: string }
  | { ok: false; language: string; problems: SyntaxProblem[]; note: string }
  | { checked: false; reason: string };

/** The answer fields of an edit: `snippet` (numbered) and `syntax`. */
export async function describeEdit(input: {
  path: string;
  before: string | null;
  after: string;
  /** First and last line (1-based, in `after`) of the changed region. */
  firstLine: number;
  lastLine: number;
}): Promise<{ snippet: string; syntax: SyntaxVerdict }> {
  return {
    snippet: editedRegion(input.after, input.firstLine, input.lastLine),
    syntax: await syntaxVerdict(input.path, input.before, input.after),
  };
}

/** The lines `first`–`last` of `text` with {@link EDIT_CONTEXT_LINES} of context, numbered. */
export function editedRegion(text: string, first: number, last: number): string {
  const { lines } = splitLines(text);
  if (lines.length === 0) {
    return '(the file is now empty)';
  }
  const from = Math.max(1, first - EDIT_CONTEXT_LINES);
  const to = Math.min(lines.length, Math.max(last, first) + EDIT_CONTEXT_LINES);
  if (to - from + 1 <= REGION_MAX_LINES) {
    return numberLines(lines.slice(from - 1, to), from);
  }
  const half = REGION_MAX_LINES / 2;
  return [
    numberLines(lines.slice(from - 1, from - 1 + half), from),
    `     … (${to - from + 1 - 2 * half} lines not shown; use view_file to see them)`,
    numberLines(lines.slice(to - half, to), to - half + 1),
  ].join('\n');
}

/** The syntax check of `after`, compared with `before` (null for a new file). */
export async function syntaxVerdict(
  path: string,
  before: string | null,
  after: string,
): Promise<SyntaxVerdict> {
  const parser = await CodeParser.load();
  const now = checkSyntax(parser, path, after);
  if (!now.checked) {
    return { checked: false, reason: now.reason };
  }
  if (now.problems.length === 0) {
    return { ok: true, language: now.language };
  }
  const was = before === null ? null : checkSyntax(parser, path, before);
  const already = was?.checked === true && was.problems.length > 0;
  const first = now.problems[0];
  const where = first ? ` (line ${first.line}, column ${first.column}: ${first.message})` : '';
  return {
    ok: false,
    language: now.language,
    problems: now.problems,
    note: already
      ? `The file already had syntax errors before this edit${where}. The edit was applied.`
      : `This edit leaves a syntax error${where}. The edit was applied; fix it with another edit.`,
  };
}
