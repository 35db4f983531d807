/**
 * Calls written as a `<function…>` tag:
 * - Qwen3-Coder (its chat template, and vLLM's `qwen3_coder` parser):
 *   `<function=NAME>\n<parameter=KEY>\nVALUE\n</parameter>\n…</function>`, usually inside `<tool_call>`;
 *   values are raw text, typed by the tool's JSON Schema (a string stays as written, other types are JSON);
 * - Llama 3.1 custom tools (Meta's prompt format): `<function=NAME>{"arg": …}</function>`;
 * - `<function name="NAME">{…}</function>`, which Hermes-style models also write (llama.cpp accepts it).
 * A call the answer ends inside (no `</function>`) is `truncated`: its parameters may be incomplete.
 */
import type { ToolCallDialect, ToolCallProblem } from '../types.js';
import { parseJsonText, readJsonValue } from './read-json-value.js';
import { isRecord, isTaken, problem, take, type Scan, type TextToolCall } from './scan.js';

/** One `<function…>` call read from the start of a body: the call or a problem, and its length. */
export interface FunctionTagRead {
  call?: TextToolCall;
  problem?: ToolCallProblem;
  /** Characters of the body the call used. */
  length: number;
}

const HEAD = /^<function(?:=([^>\n]+)|\s+name\s*=\s*"([^"\n]+)")\s*>/;
const CLOSE = '</function>';

/** True when `body` (trimmed at its start) opens a `<function…>` call. */
export const startsFunctionTag = (body: string): boolean => HEAD.test(body);

/** Reads the `<function…>` call at the start of `body`, or undefined when there is none. */
export function readFunctionTag(scan: Scan, body: string): FunctionTagRead | undefined {
  const head = HEAD.exec(body);
  if (!head) {
    return undefined;
  }
  const name = (head[1] ?? head[2] ?? '').trim();
  const afterHead = body.slice(head[0].length);
  const lead = /^\s*/.exec(afterHead)![0].length;
  if (afterHead[lead] === '{') {
    return jsonArguments(body, name, head[0].length + lead, head[2] ? 'hermes' : 'llama');
  }
  return xmlParameters(scan, body, name, head[0].length);
}

/** `<function=NAME>{…}</function>`: JSON arguments. */
function jsonArguments(
  body: string,
  name: string,
  at: number,
  dialect: ToolCallDialect,
): FunctionTagRead {
  const read = readJsonValue(body, at);
  if (read.status === 'incomplete') {
    return {
      problem: problem(
        'truncated',
        dialect,
        `the arguments of the <function=${name}> call end before their JSON is complete: the answer was cut off`,
        body,
      ),
      length: body.length,
    };
  }
  if (read.status === 'invalid' || !isRecord(read.value)) {
    return {
      problem: problem(
        'invalid_json',
        dialect,
        `the arguments of the <function=${name}> call are not a JSON object`,
        body,
      ),
      length: read.end,
    };
  }
  const close = new RegExp(`^\\s*${CLOSE}`).exec(body.slice(read.end));
  return {
    call: { name, arguments: read.value, dialect },
    length: read.end + (close ? close[0].length : 0),
  };
}

/** Qwen3-Coder's `<parameter=KEY>` list up to `</function>`. */
function xmlParameters(scan: Scan, body: string, name: string, start: number): FunctionTagRead {
  const args: Record<string, unknown> = {};
  const cut = (what: string, before: string): FunctionTagRead => ({
    problem: problem(
      'truncated',
      'qwen3-coder',
      `${what} of the ${name} call ends before ${before}: the answer was cut off`,
      body,
    ),
    length: body.length,
  });
  const parameter = /<parameter=([^>\n]+)>/g;
  let at = start;
  for (;;) {
    const rest = body.slice(at);
    const close = new RegExp(`^\\s*${CLOSE}`).exec(rest);
    if (close) {
      return {
        call: { name, arguments: args, dialect: 'qwen3-coder' },
        length: at + close[0].length,
      };
    }
    parameter.lastIndex = at;
    const p = parameter.exec(body);
    const stray = p ? body.slice(at, p.index) : rest;
    if (p === null && !rest.includes(CLOSE)) {
      return cut(`the <function=${name}> tag`, '</function>');
    }
    if (p === null || stray.trim() !== '') {
      return {
        problem: problem(
          'invalid_json',
          'qwen3-coder',
          `the <function=${name}> call holds text outside <parameter=…> tags`,
          body,
        ),
        length: body.length,
      };
    }
    const key = p[1]!.trim();
    const valueStart = p.index + p[0].length;
    const stops = ['</parameter>', '<parameter=', CLOSE]
      .map((s) => body.indexOf(s, valueStart))
      .filter((n) => n >= 0);
    if (stops.length === 0) {
      return cut(`the <parameter=${key}> value`, '</parameter>');
    }
    // A missing `</parameter>` before the next parameter or `</function>` is tolerated.
    const stop = Math.min(...stops);
    args[key] = typedValue(
      body.slice(valueStart, stop).replace(/^\n/, '').replace(/\n$/, ''),
      scan.parameterType(name, key),
    );
    at = body.startsWith('</parameter>', stop) ? stop + '</parameter>'.length : stop;
  }
}

/** A parameter value as the schema's type says: strings stay raw text, other types are read as JSON. */
function typedValue(raw: string, type: string | undefined): unknown {
  if (type === undefined || type === 'string') {
    return raw;
  }
  const parsed = parseJsonText(raw.trim());
  return parsed === undefined ? raw : parsed.value;
}

/** `<function…>` calls written without a `<tool_call>` wrapper (or whose opening tag the server dropped). */
export function takeFunctionTags(scan: Scan): void {
  const { text } = scan;
  for (const m of text.matchAll(/<function(?:=|\s+name\s*=)/g)) {
    if (isTaken(scan, m.index)) {
      continue;
    }
    const one = readFunctionTag(scan, text.slice(m.index));
    if (one !== undefined) {
      take(scan, m.index, m.index + one.length, one.call ? [one.call] : [], one.problem);
    }
  }
}
