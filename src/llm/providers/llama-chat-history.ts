/**
 * Conversions for node-llama-cpp: Tandem chat messages into `ChatHistoryItem`s, and JSON Schemas trimmed
 * to what its GBNF grammar converter understands.
 */
import type { ChatHistoryItem, ChatModelFunctionCall } from 'node-llama-cpp';
import type { ChatMessage } from '../types.js';

/** Converts Tandem messages into node-llama-cpp chat history (tool results go into the call items). */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const results = new Map<string, string>();
  for (const m of messages) {
    if (m.role === 'tool') {
      results.set(m.toolCallId, m.content);
    }
  }
  const history: ChatHistoryItem[] = [];
  for (const m of messages) {
    if (m.role === 'system') {
      history.push({ type: 'system', text: m.content });
    } else if (m.role === 'user') {
      history.push({ type: 'user', text: m.content });
    } else if (m.role === 'assistant') {
      const calls: ChatModelFunctionCall[] = (m.toolCalls ?? []).map((c) => ({
        type: 'functionCall',
        name: c.name,
        params: c.arguments,
        result: results.get(c.id) ?? '',
      }));
      history.push({ type: 'model', response: [...(m.content ? [m.content] : []), ...calls] });
    }
  }
  return history;
}

/** Removes keys node-llama-cpp's GBNF converter does not know (`$schema`, `title`, `default`, …). */
export function grammarSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) {
    return schema.map(grammarSchema);
  }
  if (typeof schema !== 'object' || schema === null) {
    return schema;
  }
  const drop = new Set(['$schema', 'title', 'default', 'examples', '$id', 'format', 'pattern']);
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => !drop.has(k))
      .map(([k, v]) => [k, k === 'properties' || k === '$defs' ? mapValues(v) : grammarSchema(v)]),
  );
}

function mapValues(o: unknown): unknown {
  return typeof o === 'object' && o !== null
    ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, grammarSchema(v)]))
    : o;
}
