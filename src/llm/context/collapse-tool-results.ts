/**
 * Older tool results collapsed to one line, as SWE-agent keeps only the last few observations in full:
 * the model still sees which calls it made and whether they worked, but not their whole output, which it
 * can ask for again. The call's message pairing (`toolCallId`) is kept, so every server accepts the history.
 */
import type { ChatMessage, ToolCall } from '../types.js';

/** Starts every collapsed result, so a result is never collapsed twice. */
export const COLLAPSED = '[older result collapsed to save context]';

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}…` : s);

/** The arguments of a call in a short form: long strings clipped, at most 160 characters in all. */
export function shortArguments(args: Record<string, unknown>): string {
  const short = Object.fromEntries(
    Object.entries(args).map(([k, v]) => [k, typeof v === 'string' ? clip(v, 60) : v]),
  );
  return clip(JSON.stringify(short), 160);
}

/** `ok`, `failed: <type>: <message>`, or `done`, read from a tool result's JSON when it has `ok`. */
function outcome(content: string): string {
  try {
    const value = JSON.parse(content) as {
      ok?: unknown;
      error?: { type?: unknown; message?: unknown };
    };
    if (value.ok === true) {
      return 'ok';
    }
    if (value.ok === false) {
      return clip(`failed: ${String(value.error?.type)}: ${String(value.error?.message)}`, 140);
    }
  } catch {
    // Not JSON: a plain-text result.
  }
  return 'done';
}

/** The one-line summary of a tool result (`call` is the assistant's call it answers, when found). */
export function summarizeToolResult(
  result: Extract<ChatMessage, { role: 'tool' }>,
  call: ToolCall | undefined,
): string {
  const args = call ? ` ${shortArguments(call.arguments)}` : '';
  const size = result.content.length.toLocaleString('en-US');
  return `${COLLAPSED} ${result.name}${args} → ${outcome(result.content)} (${size} characters). Call the tool again if you need it.`;
}

/**
 * `messages` with every tool result but the last `keep` collapsed to its summary (results collapsed
 * already stay as they are). Returns the new list (the input is not changed) and how many were collapsed.
 */
export function collapseToolResults(
  messages: readonly ChatMessage[],
  keep: number,
): { messages: ChatMessage[]; collapsed: number } {
  const calls = new Map<string, ToolCall>();
  for (const m of messages) {
    if (m.role === 'assistant') {
      for (const c of m.toolCalls ?? []) {
        calls.set(c.id, c);
      }
    }
  }
  let toKeep = Math.max(0, keep);
  let collapsed = 0;
  const out = [...messages];
  for (let i = out.length - 1; i >= 0; i -= 1) {
    const m = out[i]!;
    if (m.role !== 'tool') {
      continue;
    }
    if (toKeep > 0) {
      toKeep -= 1;
      continue;
    }
    if (!m.content.startsWith(COLLAPSED)) {
      out[i] = { ...m, content: summarizeToolResult(m, calls.get(m.toolCallId)) };
      collapsed += 1;
    }
  }
  return { messages: out, collapsed };
}
