/**
 * Text that came from an agent run (test names, test output, failure reasons) or from people (titles)
 * rendered safely into Markdown comments and PR bodies: it may not close a code fence early, inject an image
 * (`![x](https://host/?data)`, a request made by every reader's browser) or a link, a table cell, a heading
 * or HTML. Follows CommonMark 0.31: a backslash escapes any ASCII punctuation (§2.4); a code span or fenced
 * block is closed only by a backtick run of the same length (§6.1, §4.5), so one longer than any run inside
 * can never be closed by the content.
 */

// The characters that start inline structure mid-line (emphasis, code, links and images, autolinks and
// HTML, table cells, strikethrough, entities). Text is folded to one line and never starts a line of its
// own here, so block markers (`#`, `-`, `+`, `1.`) need no escape and readers see plain parentheses.
const PUNCTUATION = /[\\`*_[\]!|<>~&]/g;

/** One line of plain text: whitespace folded, Markdown punctuation backslash-escaped. */
export function escapeInline(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(PUNCTUATION, '\\$&');
}

/** `text` as an inline code span on one line, delimited by more backticks than it contains. */
export function inlineCode(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const fence = '`'.repeat(longestRun(flat, '`') + 1);
  // A span starting or ending with a backtick needs a space inside the delimiters (CommonMark §6.1).
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** `text` as a fenced code block whose fence is longer than any backtick run in it (at least 3). */
export function codeBlock(text: string, info = ''): string {
  const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
  return `${fence}${info}\n${text.replace(/\n+$/, '')}\n${fence}`;
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}
