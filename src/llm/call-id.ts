/**
 * Tool-call ids. Results are matched to calls by id, so an id must be unique within its conversation:
 * servers that give none (Ollama, node-llama-cpp, text tool calls) get a random one here.
 */
import { randomBytes } from 'node:crypto';
import type { ChatMessage, ToolCall } from './types.js';

/** A new id, `call_` and 12 hex characters (48 random bits). */
export function newCallId(): string {
  return `call_${randomBytes(6).toString('hex')}`;
}

/**
 * `calls` with every id unique: an empty id, one used earlier in `history`, or one repeated within
 * `calls` is replaced by a new id (a scripted or careless server may repeat ids across turns).
 */
export function uniqueCallIds(
  calls: readonly ToolCall[],
  history: readonly ChatMessage[],
): ToolCall[] {
  const used = new Set<string>();
  for (const m of history) {
    if (m.role === 'assistant') {
      for (const c of m.toolCalls ?? []) {
        used.add(c.id);
      }
    } else if (m.role === 'tool') {
      used.add(m.toolCallId);
    }
  }
  return calls.map((c) => {
    const id = c.id === '' || used.has(c.id) ? newCallId() : c.id;
    used.add(id);
    return id === c.id ? c : { ...c, id };
  });
}
