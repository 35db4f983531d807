/**
 * DeepSeek's tool-call tokens (passed through as text by some servers):
 * - V3 and R1: `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\n{…}\n```<｜tool▁call▁end｜>…<｜tool▁calls▁end｜>`
 *   (also with `<｜tool▁calls｜>` as the opening marker, as in llama.cpp's chat tests);
 * - V3.1: `<｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{…}<｜tool▁call▁end｜>`.
 */
import { parseJsonText } from './read-json-value.js';
import { isRecord, isTaken, problem, take, type Scan, type TextToolCall } from './scan.js';
import type { ToolCallProblem } from '../types.js';

const CALLS_BEGIN = /<｜tool▁calls▁begin｜>|<｜tool▁calls｜>/g;
const CALLS_END = '<｜tool▁calls▁end｜>';
const CALL_BEGIN = '<｜tool▁call▁begin｜>';
const CALL_END = '<｜tool▁call▁end｜>';
const SEP = '<｜tool▁sep｜>';

export function takeDeepSeek(scan: Scan): void {
  const { text } = scan;
  for (const m of text.matchAll(CALLS_BEGIN)) {
    if (isTaken(scan, m.index)) {
      continue;
    }
    const endAt = text.indexOf(CALLS_END, m.index);
    const block = text.slice(m.index + m[0].length, endAt < 0 ? text.length : endAt);
    const parts = block.split(CALL_BEGIN).slice(1);
    // The first call may follow the opening marker without its own begin marker.
    if (parts.length === 0 && block.includes(SEP)) {
      parts.push(block);
    }
    const calls: TextToolCall[] = [];
    let found: ToolCallProblem | undefined;
    for (const part of parts) {
      const one = readCall(part);
      if ('problem' in one) {
        found = one.problem;
        break;
      }
      calls.push(one.call);
    }
    take(scan, m.index, endAt < 0 ? text.length : endAt + CALLS_END.length, calls, found);
  }
}

function readCall(part: string): { call: TextToolCall } | { problem: ToolCallProblem } {
  const close = part.indexOf(CALL_END);
  const body = close < 0 ? part : part.slice(0, close);
  const pieces = body.split(SEP);
  let name: string;
  let args: string;
  if (pieces[0]!.trim() === 'function' && pieces.length >= 2) {
    // V3/R1: `function<｜tool▁sep｜>NAME\n```json …```.
    const [first, ...more] = pieces.slice(1).join(SEP).split('\n');
    name = first!.trim();
    args = more.join('\n');
  } else {
    name = pieces[0]!.trim();
    args = pieces.slice(1).join(SEP);
  }
  args = args.replace(/^\s*```(?:json)?\s*\n?/, '').replace(/\n?\s*```\s*$/, '');
  const decoded = args.trim() === '' ? { value: {} } : parseJsonText(args);
  if (close < 0 && (decoded === undefined || args.trim() === '')) {
    return {
      problem: problem(
        'truncated',
        'deepseek',
        `the ${name || 'DeepSeek'} tool call ends before its end marker: the answer was cut off`,
        body,
      ),
    };
  }
  if (decoded === undefined || !isRecord(decoded.value)) {
    return {
      problem: problem(
        'invalid_json',
        'deepseek',
        `the arguments of ${name} are not a JSON object`,
        args,
      ),
    };
  }
  return { call: { name, arguments: decoded.value, dialect: 'deepseek' } };
}
