/**
 * Prompt-based function calling, for servers or models without working native tool calls: the tools are
 * described in the system prompt the way Hermes and Qwen 2.5/3 chat templates describe them (function
 * signatures as JSON inside `<tools></tools>`, each call answered inside `<tool_call></tool_call>`, results
 * given back inside `<tool_response></tool_response>` in a user turn), so the model sees the format it was
 * trained on. Earlier calls and results in the history are written in the same format. Calls in the answer
 * are read by `parseToolCalls`, which also accepts the other dialects.
 */
import type { ChatMessage, ModelRequest, ToolDefinition } from '../types.js';

/** A placeholder value for an example call, by JSON Schema type. */
function placeholder(key: string, schema: unknown): unknown {
  const type = (schema as { type?: unknown } | undefined)?.type;
  switch (type) {
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return `<${key}>`;
  }
}

/** An example call of `tool` with its required arguments as placeholders. */
function exampleCall(tool: ToolDefinition): string {
  const properties = (tool.parameters.properties ?? {}) as Record<string, unknown>;
  const required = Array.isArray(tool.parameters.required)
    ? (tool.parameters.required as unknown[]).filter((k): k is string => typeof k === 'string')
    : [];
  const args = Object.fromEntries(required.map((k) => [k, placeholder(k, properties[k])]));
  return JSON.stringify({ name: tool.name, arguments: args });
}

/** The tools section appended to the system prompt. */
export function toolsPrompt(tools: readonly ToolDefinition[]): string {
  const signatures = tools
    .map((t) =>
      JSON.stringify({
        type: 'function',
        function: { name: t.name, description: t.description, parameters: t.parameters },
      }),
    )
    .join('\n');
  const example = tools[0]
    ? `\n\nFor example:\n<tool_call>\n${exampleCall(tools[0])}\n</tool_call>`
    : '';
  return [
    '# Tools',
    '',
    'You may call one or more functions to assist with the user query.',
    '',
    'You are provided with function signatures within <tools></tools> XML tags:',
    `<tools>\n${signatures}\n</tools>`,
    '',
    'For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:',
    '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>' +
      example,
    '',
    'The results come back inside <tool_response></tool_response> tags. Write nothing after your last </tool_call>.',
  ].join('\n');
}

const callText = (m: Extract<ChatMessage, { role: 'assistant' }>): string =>
  [
    ...(m.content ? [m.content] : []),
    ...(m.toolCalls ?? []).map(
      (c) =>
        `<tool_call>\n${JSON.stringify({ name: c.name, arguments: c.arguments })}\n</tool_call>`,
    ),
  ].join('\n');

/**
 * `request` for a server that is not sent `tools`: the tools described in the (first) system message,
 * assistant tool calls written as `<tool_call>` text, and each run of tool results as one user message of
 * `<tool_response>` blocks (as Qwen's template renders them). Other fields are kept.
 */
export function toTextProtocol(request: ModelRequest): ModelRequest {
  const { tools = [], ...rest } = request;
  const section = toolsPrompt(tools);
  const messages: ChatMessage[] = [];
  let described = false;
  for (const m of request.messages) {
    if (m.role === 'system' && !described) {
      messages.push({ role: 'system', content: `${m.content}\n\n${section}` });
      described = true;
    } else if (m.role === 'assistant') {
      messages.push({ role: 'assistant', content: callText(m) });
    } else if (m.role === 'tool') {
      const block = `<tool_response>\n${m.content}\n</tool_response>`;
      const last = messages.at(-1);
      if (last?.role === 'user' && last.content.startsWith('<tool_response>')) {
        last.content = `${last.content}\n${block}`;
      } else {
        messages.push({ role: 'user', content: block });
      }
    } else {
      messages.push({ ...m });
    }
  }
  if (!described) {
    messages.unshift({ role: 'system', content: section });
  }
  return { ...rest, messages };
}
