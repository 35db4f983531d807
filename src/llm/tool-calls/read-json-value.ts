/**
 * Reads one JSON object or array out of a model's answer, starting at a given offset, and says whether it
 * was complete. Models write JSON that a strict parser refuses (raw newlines inside strings, trailing commas,
 * Python's `True`), and they get cut off by the output limit in the middle of a value. The two must not be
 * confused: a complete value that is malformed is repaired (`jsonrepair`), an incomplete one is reported as
 * truncated and never completed, since "repairing" a cut-off `write_file` would write half a file.
 */
import { jsonrepair } from 'jsonrepair';

/** The outcome of {@link readJsonValue}. `end` is the offset just after the value's closing bracket. */
export type JsonRead =
  | { status: 'complete'; value: unknown; end: number; repaired: boolean }
  | { status: 'incomplete' }
  | { status: 'invalid'; end: number; error: string };

const CLOSE: Record<string, string> = { '{': '}', '[': ']' };

/**
 * Finds where the bracketed value starting at `start` (`{` or `[`) ends, honouring strings and escapes;
 * `-1` when the text ends first (truncated), `-2` when a bracket does not match (malformed).
 */
function valueEnd(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') {
        i++;
      } else if (c === '"') {
        inString = false;
      }
      continue;
    }
    if (c === '"') {
      inString = true;
    } else if (c === '{' || c === '[') {
      stack.push(CLOSE[c]!);
    } else if (c === '}' || c === ']') {
      if (stack.pop() !== c) {
        return -2;
      }
      if (stack.length === 0) {
        return i + 1;
      }
    }
  }
  return -1;
}

/**
 * Reads the JSON object or array that starts at `text[start]`; text after it is ignored. A value whose
 * brackets close but that `JSON.parse` refuses is given to `jsonrepair` (status `complete`, `repaired`);
 * a value the text ends inside is `incomplete`; anything else is `invalid` with the parser's message.
 */
export function readJsonValue(text: string, start: number): JsonRead {
  const end = valueEnd(text, start);
  if (end === -1) {
    return { status: 'incomplete' };
  }
  if (end === -2) {
    return { status: 'invalid', end: text.length, error: 'brackets do not match' };
  }
  const slice = text.slice(start, end);
  try {
    return { status: 'complete', value: JSON.parse(slice) as unknown, end, repaired: false };
  } catch (error) {
    try {
      return {
        status: 'complete',
        value: JSON.parse(jsonrepair(slice)) as unknown,
        end,
        repaired: true,
      };
    } catch {
      return {
        status: 'invalid',
        end,
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }
}

/**
 * Parses a whole string as JSON, repairing what `jsonrepair` can when the brackets are balanced. For
 * tool-call arguments sent as a JSON-encoded string. Returns undefined when it is not JSON.
 */
export function parseJsonText(text: string): { value: unknown } | undefined {
  const trimmed = text.trim();
  if (trimmed === '') {
    return undefined;
  }
  try {
    return { value: JSON.parse(trimmed) as unknown };
  } catch {
    if (!/^[{[]/.test(trimmed)) {
      return undefined;
    }
    const read = readJsonValue(trimmed, 0);
    return read.status === 'complete' && trimmed.slice(read.end).trim() === ''
      ? { value: read.value }
      : undefined;
  }
}
