/**
 * Turns JSON values into tool calls. Models name the parts of a call differently: `name`, `tool`,
 * `tool_name` or `function` for the name; `arguments` (OpenAI, Hermes, Qwen, Mistral), `parameters`
 * (Llama 3.x), `args` or `tool_input` for the arguments, which come as an object or as a JSON-encoded string.
 * OpenAI-shaped `{"function": {"name", "arguments"}}` and `{"tool_calls": [...]}` are accepted too.
 */
import type { ToolCallDialect, ToolCallProblem } from '../types.js';
import { parseJsonText, readJsonValue } from './read-json-value.js';
import { excerpt, isRecord, problem, type TextToolCall } from './scan.js';

const NAME_KEYS = ['name', 'tool', 'tool_name', 'function'] as const;
const ARGUMENT_KEYS = ['arguments', 'parameters', 'args', 'tool_input'] as const;

/** Calls read from a value, or the reason its arguments are unusable. */
export interface CallsOrProblem {
  calls: TextToolCall[];
  /** Why a call-shaped value could not be used (e.g. arguments that are not an object). */
  problem?: string;
}

/**
 * When a JSON value counts as a call: `loose` for values inside a marker that says "tool call"
 * (`<tool_call>`, `[TOOL_CALLS]`, `<|python_tag|>`); `strict` for JSON found without any marker, which must
 * carry an arguments key or name an offered tool, so that a final answer with a `name` field is not taken
 * for a call.
 */
export type Strictness = 'loose' | { strict: ReadonlySet<string> };

/**
 * The calls a JSON value stands for (one object, a list, or `{"tool_calls": [...]}`), or undefined when
 * it is not call-shaped. Arguments given as a JSON-encoded string are decoded.
 */
export function toCalls(
  value: unknown,
  dialect: ToolCallDialect,
  strictness: Strictness,
): CallsOrProblem | undefined {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return undefined;
    }
    const calls: TextToolCall[] = [];
    for (const item of value) {
      const one = toCalls(item, dialect, strictness);
      if (one === undefined || one.problem) {
        return one;
      }
      calls.push(...one.calls);
    }
    return { calls };
  }
  if (!isRecord(value)) {
    return undefined;
  }
  if (Array.isArray(value.tool_calls)) {
    return toCalls(value.tool_calls, dialect, strictness);
  }
  if (isRecord(value.function) && typeof value.function.name === 'string') {
    return toCalls(value.function, dialect, strictness);
  }
  const name = NAME_KEYS.map((k) => value[k]).find(
    (v): v is string => typeof v === 'string' && v.trim() !== '',
  );
  if (name === undefined) {
    return undefined;
  }
  const argumentKey = ARGUMENT_KEYS.find((k) => k in value);
  if (strictness !== 'loose' && argumentKey === undefined && !strictness.strict.has(name.trim())) {
    return undefined;
  }
  const args = argumentKey === undefined ? {} : value[argumentKey];
  const decoded = decodeArguments(args);
  if (decoded !== undefined) {
    return { calls: [{ name: name.trim(), arguments: decoded, dialect }] };
  }
  return {
    calls: [],
    problem: `the arguments of ${name.trim()} are not a JSON object (got ${excerpt(
      typeof args === 'string' ? args : (JSON.stringify(args) ?? String(args)),
    )})`,
  };
}

/** Arguments as an object: an object, a JSON-encoded object, or nothing (`null`, `""`) as `{}`. */
export function decodeArguments(args: unknown): Record<string, unknown> | undefined {
  if (isRecord(args)) {
    return args;
  }
  if (args === null || args === undefined || (typeof args === 'string' && args.trim() === '')) {
    return {};
  }
  if (typeof args === 'string') {
    const decoded = parseJsonText(args);
    return decoded && isRecord(decoded.value) ? decoded.value : undefined;
  }
  return undefined;
}

/** The outcome of {@link callsInJsonBody}. */
export interface BodyCalls {
  calls: TextToolCall[];
  problem?: ToolCallProblem;
}

/**
 * Reads the JSON values of `body` in order: one call, a list of calls, or several separated by white
 * space, `;` or `,` (Llama 3.2 writes `{…}; {…}`). `where` names the enclosing marker in messages.
 * Returns undefined when `body` holds no call-shaped JSON at all. A value the body ends inside is a
 * `truncated` problem, never completed.
 */
export function callsInJsonBody(
  body: string,
  dialect: ToolCallDialect,
  where: string,
  strictness: Strictness,
): BodyCalls | undefined {
  const calls: TextToolCall[] = [];
  let at = body.search(/[{[]/);
  if (at < 0) {
    return undefined;
  }
  while (at >= 0) {
    const read = readJsonValue(body, at);
    if (read.status === 'incomplete') {
      const message = `${where} ends before its JSON is complete: the answer was cut off`;
      return { calls, problem: problem('truncated', dialect, message, body.slice(at)) };
    }
    if (read.status === 'invalid') {
      const message = `${where} is not valid JSON (${read.error})`;
      return { calls, problem: problem('invalid_json', dialect, message, body.slice(at)) };
    }
    const found = toCalls(read.value, dialect, strictness);
    if (found === undefined) {
      return calls.length > 0 ? { calls } : undefined;
    }
    if (found.problem !== undefined) {
      return {
        calls,
        problem: problem('invalid_json', dialect, found.problem, body.slice(at)),
      };
    }
    calls.push(...found.calls);
    const next = /^[\s;,]*[{[]/.exec(body.slice(read.end));
    at = next ? read.end + next[0].length - 1 : -1;
  }
  return { calls };
}
