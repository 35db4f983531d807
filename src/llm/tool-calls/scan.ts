/**
 * The state one `parseToolCalls` run shares between the dialect readers: the answer text, the spans
 * already read as calls (so two readers never take the same text), and what the offered tools declare.
 */
import type { ToolCallDialect, ToolCallProblem } from '../types.js';

/** A tool call read from text; ids are given later, by whoever owns the conversation. */
export interface TextToolCall {
  name: string;
  arguments: Record<string, unknown>;
  dialect: ToolCallDialect;
}

/** A span of the answer `[start, end)` that held calls, or a call that could not be read. */
export interface Found {
  start: number;
  end: number;
  calls: TextToolCall[];
  problem?: ToolCallProblem;
}

/** JSON Schema `type` of a tool's parameter, or undefined when the tool or parameter is unknown. */
export type ParameterType = (tool: string, parameter: string) => string | undefined;

/** One parse: the answer (reasoning already removed), the spans taken, the offered tools. */
export interface Scan {
  readonly text: string;
  readonly taken: Found[];
  readonly parameterType: ParameterType;
  /** Names of the offered tools (empty when the caller gave none). */
  readonly toolNames: ReadonlySet<string>;
}

/** The tools offered (name and JSON Schema of the arguments). */
export interface OfferedTool {
  name: string;
  parameters: Record<string, unknown>;
}

/** At most 200 characters of `s`, for messages. */
export const excerpt = (s: string): string => {
  const t = s.trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
};

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function problem(
  kind: ToolCallProblem['kind'],
  dialect: ToolCallDialect,
  message: string,
  text: string,
): ToolCallProblem {
  return { kind, dialect, message, excerpt: excerpt(text) };
}

/** True when `at` lies inside a span some reader already took. */
export function isTaken(scan: Scan, at: number): boolean {
  return scan.taken.some((f) => at >= f.start && at < f.end);
}

/** Records a span; `problem` only when there is one (exactOptionalPropertyTypes). */
export function take(
  scan: Scan,
  start: number,
  end: number,
  calls: TextToolCall[],
  found?: ToolCallProblem,
): void {
  scan.taken.push({ start, end, calls, ...(found ? { problem: found } : {}) });
}

/** A new scan of `text` for `tools`. */
export function newScan(text: string, tools: readonly OfferedTool[]): Scan {
  const byTool = new Map<string, Record<string, unknown>>();
  for (const t of tools) {
    if (isRecord(t.parameters.properties)) {
      byTool.set(t.name, t.parameters.properties);
    }
  }
  return {
    text,
    taken: [],
    toolNames: new Set(tools.map((t) => t.name)),
    parameterType: (tool, parameter) => {
      const schema = byTool.get(tool)?.[parameter];
      if (!isRecord(schema)) {
        return undefined;
      }
      // `["string", "null"]` and the like: the first type decides.
      const type = Array.isArray(schema.type) ? (schema.type as unknown[])[0] : schema.type;
      return typeof type === 'string' ? type : undefined;
    },
  };
}
