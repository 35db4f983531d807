/**
 * `<tool_call>…</tool_call>` blocks: Hermes 2 Pro/3 and Qwen 2.5/3 write `{"name": …, "arguments": …}`
 * in each block (their chat templates), one block per call; Qwen3-Coder writes a `<function=…>` tag
 * inside instead. A missing closing tag is tolerated when the next block starts; a block the answer ends
 * inside is `truncated`.
 */
import { callsInJsonBody, type BodyCalls } from './call-objects.js';
import { readFunctionTag, startsFunctionTag } from './function-tag-dialect.js';
import { isTaken, problem, take, type Scan, type TextToolCall } from './scan.js';

const OPEN = '<tool_call>';
const CLOSE = '</tool_call>';

export function takeToolCallBlocks(scan: Scan): void {
  const { text } = scan;
  let from = 0;
  for (;;) {
    const start = text.indexOf(OPEN, from);
    if (start < 0) {
      return;
    }
    const bodyStart = start + OPEN.length;
    const closeAt = text.indexOf(CLOSE, bodyStart);
    const nextOpen = text.indexOf(OPEN, bodyStart);
    const stops = [closeAt, nextOpen].filter((n) => n >= 0);
    const bodyEnd = stops.length > 0 ? Math.min(...stops) : text.length;
    const end = bodyEnd === closeAt ? closeAt + CLOSE.length : bodyEnd;
    from = end;
    if (!isTaken(scan, start)) {
      const read = blockCalls(scan, text.slice(bodyStart, bodyEnd), stops.length === 0);
      take(scan, start, end, read.calls, read.problem);
    }
  }
}

/** The calls in one block's body: `<function…>` tags, or JSON. */
function blockCalls(scan: Scan, body: string, unclosed: boolean): BodyCalls {
  const trimmed = body.trim();
  if (startsFunctionTag(trimmed)) {
    const calls: TextToolCall[] = [];
    let rest = trimmed;
    while (startsFunctionTag(rest)) {
      const one = readFunctionTag(scan, rest)!;
      if (one.problem) {
        return { calls, problem: one.problem };
      }
      calls.push(one.call!);
      rest = rest.slice(one.length).trim();
    }
    return { calls };
  }
  const json = callsInJsonBody(body, 'hermes', 'the <tool_call> block', 'loose');
  if (json !== undefined) {
    return json;
  }
  // Unclosed and without JSON: the answer stopped right after the opening tag (or a word or two later).
  return unclosed
    ? {
        calls: [],
        problem: problem(
          'truncated',
          'hermes',
          'the <tool_call> block ends before its JSON starts: the answer was cut off',
          body,
        ),
      }
    : {
        calls: [],
        problem: problem(
          'invalid_json',
          'hermes',
          'the <tool_call> block holds no {"name": …, "arguments": …} object',
          body,
        ),
      };
}
