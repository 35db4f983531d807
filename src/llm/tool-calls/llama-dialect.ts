/**
 * Llama 3.1–3.3 after `<|python_tag|>` (a special token servers may pass through): JSON calls
 * `{"name": …, "parameters": {…}}`, several separated by `;`, up to `<|eom_id|>`/`<|eot_id|>` (Meta's prompt
 * format). Llama's built-in tools (`brave_search.call(query=…)`) are not JSON and are reported, not run.
 * Bare `{"name", "parameters"}` objects without the tag are read by the JSON dialect.
 */
import type { ToolCallProblem } from '../types.js';
import { callsInJsonBody } from './call-objects.js';
import { isTaken, problem, take, type Scan } from './scan.js';

const TAG = '<|python_tag|>';

export function takePythonTag(scan: Scan): void {
  const { text } = scan;
  for (const m of text.matchAll(/<\|python_tag\|>/g)) {
    if (isTaken(scan, m.index)) {
      continue;
    }
    const bodyStart = m.index + TAG.length;
    const stop = text.slice(bodyStart).search(/<\|(?:eom_id|eot_id)\|>/);
    const bodyEnd = stop < 0 ? text.length : bodyStart + stop;
    const body = text.slice(bodyStart, bodyEnd);
    const found = callsInJsonBody(body, 'llama', 'the <|python_tag|> call', 'loose');
    take(
      scan,
      m.index,
      bodyEnd,
      found?.calls ?? [],
      found ? found.problem : notJson(body, stop < 0),
    );
  }
}

/** Why a `<|python_tag|>` body without JSON calls was not read. */
function notJson(body: string, unterminated: boolean): ToolCallProblem {
  if (body.trim() === '' && unterminated) {
    return problem(
      'truncated',
      'llama',
      'the <|python_tag|> call is empty: the answer was cut off',
      body,
    );
  }
  return problem(
    'invalid_json',
    'llama',
    'the <|python_tag|> call is not a JSON {"name": …, "parameters": …} object (built-in tools are not available)',
    body,
  );
}
