/** Line handling shared by the file tools: splitting, numbering and cutting long lines visibly. */

/** A text split into lines, with what is needed to join it back unchanged. */
export interface TextLines {
  lines: string[];
  /** `\r\n` when the text uses it, else `\n`. */
  eol: string;
  /** True when the text ends with a line break. */
  finalNewline: boolean;
}

/** Splits a text into lines (a final line break does not start another line). */
export function splitLines(text: string): TextLines {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const finalNewline = text.endsWith('\n');
  const body = finalNewline ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
  return { lines: text === '' ? [] : body.split(eol), eol, finalNewline };
}

/** The inverse of {@link splitLines}. */
export function joinLines({ lines, eol, finalNewline }: TextLines): string {
  return lines.length === 0 ? '' : `${lines.join(eol)}${finalNewline ? eol : ''}`;
}

/** Longest line shown, in characters; longer lines are cut with an explicit marker. */
export const LINE_MAX_CHARS = 500;

/** `line` cut at {@link LINE_MAX_CHARS} with a marker saying how much was left out. */
export function cutLine(line: string, max = LINE_MAX_CHARS): string {
  return line.length <= max
    ? line
    : `${line.slice(0, max)}… [line cut: ${line.length - max} more characters]`;
}

/** Lines numbered like `cat -n` (the number right-aligned, a tab, the line), starting at `first`. */
export function numberLines(lines: readonly string[], first: number): string {
  const width = String(first + lines.length - 1).length;
  return lines
    .map((line, i) => `${String(first + i).padStart(Math.max(width, 4))}\t${cutLine(line)}`)
    .join('\n');
}

/** 1-based line number of a character offset. */
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
  }
  return line;
}

/** True when the text looks binary (a NUL byte in its first 8,000 characters). */
export function looksBinary(text: string): boolean {
  return text.slice(0, 8_000).includes('\0');
}
