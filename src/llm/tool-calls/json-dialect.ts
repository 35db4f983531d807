/**
 * Calls written as plain JSON: `{"name": …, "arguments": …}` (or `parameters`, as Llama 3.2/3.3 write
 * without any tag), a list of them, or OpenAI-shaped objects; bare in the text or in a Markdown fence
 * (```json, ```tool_call, ```tool_code or an unlabelled fence). Without a marker, an object only counts as
 * a call when it carries an arguments key or names an offered tool (see `Strictness`), so a final answer
 * that has a `name` field is left alone.
 */
import { callsInJsonBody, toCalls } from './call-objects.js';
import { readJsonValue } from './read-json-value.js';
import { isTaken, problem, take, type Scan } from './scan.js';

/** The start of a call object, or a list of them, written without any marker. */
const CALL_START =
  /(?:\[\s*)?\{\s*(?:"(?:name|function|tool|tool_name|tool_calls)"\s*:|"type"\s*:\s*"function")/g;
const FENCE = /```[ \t]*([A-Za-z_-]*)[ \t]*\n/g;

export function takeFences(scan: Scan): void {
  const { text } = scan;
  const strict = { strict: scan.toolNames };
  for (const m of text.matchAll(FENCE)) {
    if (isTaken(scan, m.index) || !/^(?:json|tool_call|tool_code|)$/i.test(m[1] ?? '')) {
      continue;
    }
    const bodyStart = m.index + m[0].length;
    const closeAt = text.indexOf('```', bodyStart);
    const body = text.slice(bodyStart, closeAt < 0 ? text.length : closeAt);
    if (!new RegExp(CALL_START.source).test(body.trimStart().slice(0, 200))) {
      continue;
    }
    const found = callsInJsonBody(body, 'json', 'the fenced tool call', strict);
    if (found !== undefined) {
      take(scan, m.index, closeAt < 0 ? text.length : closeAt + 3, found.calls, found.problem);
    }
  }
}

export function takeBareJson(scan: Scan): void {
  const { text } = scan;
  const strict = { strict: scan.toolNames };
  for (const m of text.matchAll(CALL_START)) {
    if (isTaken(scan, m.index)) {
      continue;
    }
    const read = readJsonValue(text, m.index);
    if (read.status !== 'complete') {
      const cut = read.status === 'incomplete';
      const message = cut
        ? 'the JSON tool call ends before it is complete: the answer was cut off'
        : `the JSON tool call is not valid JSON (${read.error})`;
      const kind = cut ? 'truncated' : 'invalid_json';
      take(
        scan,
        m.index,
        cut ? text.length : read.end,
        [],
        problem(kind, 'json', message, text.slice(m.index)),
      );
      if (cut) {
        return; // nothing after a cut can be a call
      }
      continue;
    }
    const found = toCalls(read.value, 'json', strict);
    if (found !== undefined) {
      take(
        scan,
        m.index,
        read.end,
        found.calls,
        found.problem === undefined
          ? undefined
          : problem('invalid_json', 'json', found.problem, text.slice(m.index)),
      );
    }
  }
}
