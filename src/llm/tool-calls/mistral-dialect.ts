/**
 * Mistral's `[TOOL_CALLS]` marker (a control token the server may pass through as text):
 * - tokenizer v3 (Mistral 7B v0.3, Nemo): `[TOOL_CALLS] [{"name": …, "arguments": {…}, "id": "…"}, …]`;
 * - v11 (Mistral Small 3.2, Devstral 2507): `[TOOL_CALLS]NAME{…}`;
 * - v13 (Devstral 2512, Ministral 3, Magistral): `[TOOL_CALLS]NAME[ARGS]{…}`, optionally with
 *   `[CALL_ID]id`; one marker per call.
 * Formats as in vLLM's `mistral` tool parser tests and llama.cpp's chat tests.
 */
import { toCalls } from './call-objects.js';
import { readJsonValue } from './read-json-value.js';
import { isRecord, isTaken, problem, take, type Scan } from './scan.js';

const MARKER = '[TOOL_CALLS]';
const NAMED = /^\s*([A-Za-z0-9_.-]+)\s*(?:\[CALL_ID\]\s*[A-Za-z0-9_-]*\s*)?(?:\[ARGS\])?\s*/;

export function takeMistral(scan: Scan): void {
  const { text } = scan;
  for (const m of text.matchAll(/\[TOOL_CALLS\]/g)) {
    if (isTaken(scan, m.index)) {
      continue;
    }
    const after = m.index + MARKER.length;
    const rest = text.slice(after);
    const lead = /^\s*/.exec(rest)![0].length;
    if (/^[[{]/.test(rest.slice(lead))) {
      takeList(scan, m.index, after + lead);
    } else {
      takeNamed(scan, m.index, after);
    }
  }
}

/** v3: a JSON list (or a single object) of calls. */
function takeList(scan: Scan, start: number, at: number): void {
  const rest = scan.text.slice(at);
  const read = readJsonValue(scan.text, at);
  if (read.status === 'incomplete') {
    const message =
      'the [TOOL_CALLS] list ends before its JSON is complete: the answer was cut off';
    take(scan, start, scan.text.length, [], problem('truncated', 'mistral', message, rest));
    return;
  }
  if (read.status === 'invalid') {
    const message = `the [TOOL_CALLS] list is not valid JSON (${read.error})`;
    take(scan, start, read.end, [], problem('invalid_json', 'mistral', message, rest));
    return;
  }
  const found = toCalls(read.value, 'mistral', 'loose');
  const why =
    found === undefined
      ? 'the [TOOL_CALLS] list holds no {"name", "arguments"} objects'
      : found.problem;
  take(
    scan,
    start,
    read.end,
    found?.calls ?? [],
    why === undefined ? undefined : problem('invalid_json', 'mistral', why, rest),
  );
}

/** v11/v13: `NAME[ARGS]{…}`. */
function takeNamed(scan: Scan, start: number, after: number): void {
  const { text } = scan;
  const rest = text.slice(after);
  const head = NAMED.exec(rest);
  const argsAt = head ? after + head[0].length : text.length;
  if (!head || text[argsAt] !== '{') {
    const cut = argsAt >= text.length;
    take(
      scan,
      start,
      text.length,
      [],
      problem(
        cut ? 'truncated' : 'invalid_json',
        'mistral',
        cut
          ? 'the [TOOL_CALLS] call ends before its arguments: the answer was cut off'
          : 'the [TOOL_CALLS] marker is not followed by NAME[ARGS]{…} or a JSON list of calls',
        rest,
      ),
    );
    return;
  }
  const name = head[1]!;
  const read = readJsonValue(text, argsAt);
  if (read.status === 'complete' && isRecord(read.value)) {
    take(scan, start, read.end, [{ name, arguments: read.value, dialect: 'mistral' }]);
    return;
  }
  const cut = read.status === 'incomplete';
  take(
    scan,
    start,
    cut ? text.length : read.end,
    [],
    problem(
      cut ? 'truncated' : 'invalid_json',
      'mistral',
      cut
        ? `the arguments of ${name} end before their JSON is complete: the answer was cut off`
        : `the arguments of ${name} are not a JSON object`,
      rest,
    ),
  );
}
