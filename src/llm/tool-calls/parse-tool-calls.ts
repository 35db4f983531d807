/**
 * Reads tool calls that a model wrote as text, in the formats open models are trained on (one file per
 * format): `<tool_call>` blocks (Hermes, Qwen 2.5/3, Qwen3-Coder), `<function…>` tags (Qwen3-Coder, Llama
 * 3.1), `[TOOL_CALLS]` (Mistral, Devstral), `<|python_tag|>` (Llama 3.x), DeepSeek's tool-call tokens, and
 * plain or fenced JSON objects and lists. Reasoning (`<think>…</think>`) is split off first and never read
 * as a call. A call the answer ends inside (cut off by the output limit) is reported as `truncated`, never
 * completed; malformed JSON that `jsonrepair` cannot fix is reported as `invalid_json`. Formats as
 * documented by each family's chat template and by the tool-call parsers of llama.cpp and vLLM.
 */
import { splitReasoning } from '../reasoning.js';
import type { ToolCallProblem } from '../types.js';
import { takeDeepSeek } from './deepseek-dialect.js';
import { takeFunctionTags } from './function-tag-dialect.js';
import { takeToolCallBlocks } from './hermes-dialect.js';
import { takeBareJson, takeFences } from './json-dialect.js';
import { takePythonTag } from './llama-dialect.js';
import { takeMistral } from './mistral-dialect.js';
import { newScan, type OfferedTool, type TextToolCall } from './scan.js';

export type { OfferedTool, TextToolCall } from './scan.js';

/** An answer split into prose, reasoning, tool calls (in the order written) and problems. */
export interface ParsedToolAnswer {
  /** The answer without reasoning and without the calls' text, trimmed. */
  text: string;
  reasoning: string;
  calls: TextToolCall[];
  problems: ToolCallProblem[];
}

/** Markers and wrapper tags left in the prose once the calls are taken out. */
const STRAY =
  /<\/?(?:tool_call|tool|tools|function_call)>|\[TOOL_CALLS\]|<\|python_tag\|>|<\|eom_id\|>|<\|eot_id\|>|<｜tool▁calls▁end｜>|<\/function>/g;

/**
 * Splits `raw` into prose, reasoning, calls and problems. `tools` (the offered tools) types Qwen3-Coder's
 * parameter values and lets a bare JSON object naming an offered tool count as a call. Pure; never throws.
 */
export function parseToolCalls(raw: string, tools: readonly OfferedTool[] = []): ParsedToolAnswer {
  const { text, reasoning } = splitReasoning(raw);
  const scan = newScan(text, tools);
  // Marker formats first (their bodies may hold JSON or fences), plain JSON last.
  takeDeepSeek(scan);
  takeMistral(scan);
  takePythonTag(scan);
  takeToolCallBlocks(scan);
  takeFunctionTags(scan);
  takeFences(scan);
  takeBareJson(scan);
  const taken = [...scan.taken].sort((a, b) => a.start - b.start);
  let prose = '';
  let at = 0;
  for (const f of taken) {
    prose += text.slice(at, Math.max(at, f.start));
    at = Math.max(at, f.end);
  }
  prose += text.slice(at);
  return {
    text: prose.replace(STRAY, '').trim(),
    reasoning,
    calls: taken.flatMap((f) => f.calls),
    problems: taken.flatMap((f) => (f.problem ? [f.problem] : [])),
  };
}
