/**
 * Fits a conversation into a token budget, in this order (each step only when still over the budget):
 * 1. tool results older than the last `keepToolResults` are collapsed to one line (always, when set);
 * 2. the system prompt and the task (the leading system messages and the first user message) are pinned;
 *    the oldest turns after them (an assistant message with everything up to the next one) are dropped,
 *    the latest turn always kept, and the task gets a note listing the calls that were dropped;
 * 3. the longest remaining messages are cut in the middle (tool results first, then the model's own
 *    messages, then the task, then the system prompt), with a marker saying how much was cut.
 * Pure apart from `count`; the input is not changed.
 */
import type { ChatMessage } from '../types.js';
import { collapseToolResults, shortArguments } from './collapse-tool-results.js';

/** Options of {@link fitContext}. */
export interface FitOptions {
  /** Tokens the messages may use in all. */
  budget: number;
  /** Tokens of one message in the prompt. */
  count: (m: ChatMessage) => Promise<number>;
  /** Tool results kept in full; undefined: none collapsed. */
  keepToolResults?: number;
}

/** The outcome of {@link fitContext}. */
export interface FitResult {
  messages: ChatMessage[];
  /** Tokens of `messages` by `count`. */
  tokens: number;
  /** False when even the cuts could not bring the messages under the budget. */
  fits: boolean;
  /** Tool results collapsed to one line. */
  collapsed: number;
  /** Turns dropped. */
  dropped: number;
  /** Messages cut in the middle. */
  cut: number;
}

/** Where the pinned head (system prompt and task) ends. */
function pinnedEnd(messages: readonly ChatMessage[]): number {
  let i = 0;
  while (messages[i]?.role === 'system') {
    i += 1;
  }
  if (messages[i]?.role === 'user') {
    i += 1;
  }
  // Anything before the first assistant message belongs to the task.
  while (i < messages.length && messages[i]!.role !== 'assistant') {
    i += 1;
  }
  return i;
}

/** Splits `messages` from `start` into turns, each an assistant message and what follows it. */
function turns(messages: readonly ChatMessage[], start: number): ChatMessage[][] {
  const out: ChatMessage[][] = [];
  for (let i = start; i < messages.length; i += 1) {
    const m = messages[i]!;
    if (m.role === 'assistant' || out.length === 0) {
      out.push([m]);
    } else {
      out.at(-1)!.push(m);
    }
  }
  return out;
}

/** The note added to the task when turns were dropped: what the dropped turns called. */
function droppedNote(dropped: readonly ChatMessage[][]): string {
  const calls = dropped.flatMap((t) =>
    t.flatMap((m) =>
      m.role === 'assistant'
        ? (m.toolCalls ?? []).map((c) => `${c.name} ${shortArguments(c.arguments)}`)
        : [],
    ),
  );
  const listed = calls.slice(-20);
  const more = calls.length - listed.length;
  return [
    '',
    '',
    `[Context condensed: your first ${dropped.length} steps were removed to fit the context window.`,
    ...(listed.length
      ? [`Calls made in them: ${listed.join('; ')}${more > 0 ? ` and ${more} more` : ''}.`]
      : []),
    'Check the files again if you need their current content.]',
  ].join('\n');
}

/** `text` cut in the middle to about `chars` characters, with a marker. */
export function cutMiddle(text: string, chars: number): string {
  if (text.length <= chars) {
    return text;
  }
  const keep = Math.max(0, chars - 80);
  const head = Math.ceil(keep * 0.6);
  const tail = keep - head;
  const marker = `\n…[${(text.length - keep).toLocaleString('en-US')} characters cut to fit the context window]…\n`;
  return `${text.slice(0, head)}${marker}${tail > 0 ? text.slice(-tail) : ''}`;
}

/** `m` shortened to about `ratio` of its text (content and long string arguments of its calls). */
function shrink(m: ChatMessage, ratio: number): ChatMessage {
  const content = cutMiddle(m.content, Math.floor(m.content.length * ratio));
  if (m.role !== 'assistant' || !m.toolCalls?.length) {
    return { ...m, content };
  }
  const toolCalls = m.toolCalls.map((c) => ({
    ...c,
    arguments: Object.fromEntries(
      Object.entries(c.arguments).map(([k, v]) => [
        k,
        typeof v === 'string' && v.length > 200 ? cutMiddle(v, Math.floor(v.length * ratio)) : v,
      ]),
    ),
  }));
  return { ...m, content, toolCalls };
}

/** See the module comment. */
export async function fitContext(
  input: readonly ChatMessage[],
  options: FitOptions,
): Promise<FitResult> {
  const { budget, count } = options;
  const { messages, collapsed } =
    options.keepToolResults === undefined
      ? { messages: [...input], collapsed: 0 }
      : collapseToolResults(input, options.keepToolResults);
  const tokens = await Promise.all(messages.map(count));
  const sum = (ns: readonly number[]) => ns.reduce((a, b) => a + b, 0);
  let total = sum(tokens);
  if (total <= budget) {
    return { messages, tokens: total, fits: true, collapsed, dropped: 0, cut: 0 };
  }
  const head = pinnedEnd(messages);
  let pinned = messages.slice(0, head);
  let pinnedTokens = tokens.slice(0, head);
  const all = turns(messages, head);
  const turnTokens = all.map((t, i) => {
    const first = head + all.slice(0, i).reduce((n, u) => n + u.length, 0);
    return sum(tokens.slice(first, first + t.length));
  });
  let dropped = 0;
  // Room for the note: counted at 2 characters a token, more than any tokenizer needs.
  const noteAllowance = (n: number) =>
    n === 0 ? 0 : Math.ceil(droppedNote(all.slice(0, n)).length / 2);
  while (dropped < all.length - 1 && total + noteAllowance(dropped) > budget) {
    total -= turnTokens[dropped]!;
    dropped += 1;
  }
  if (dropped > 0) {
    const task = pinned.findLastIndex((m) => m.role === 'user');
    const note = droppedNote(all.slice(0, dropped));
    const at = task >= 0 ? task : pinned.length;
    const noted: ChatMessage =
      task >= 0
        ? { ...pinned[task]!, content: `${pinned[task]!.content}${note}` }
        : { role: 'user', content: note.trim() };
    const noteTokens = await count(noted);
    total += noteTokens - (task >= 0 ? pinnedTokens[task]! : 0);
    pinned = [...pinned.slice(0, at), noted, ...pinned.slice(at + (task >= 0 ? 1 : 0))];
    pinnedTokens = [
      ...pinnedTokens.slice(0, at),
      noteTokens,
      ...pinnedTokens.slice(at + (task >= 0 ? 1 : 0)),
    ];
  }
  const kept = all.slice(dropped).flat();
  // The kept turns are the tail of `messages`.
  const keptTokens = tokens.slice(tokens.length - kept.length);
  const out = [...pinned, ...kept];
  const outTokens = [...pinnedTokens, ...keptTokens];
  let cut = 0;
  if (total > budget) {
    // Tool results, then the model's messages, then the task and other user messages, then the system.
    const rank: Record<ChatMessage['role'], number> = { tool: 0, assistant: 1, user: 2, system: 3 };
    const order = out
      .map((_m, i) => i)
      .sort((a, b) => rank[out[a]!.role] - rank[out[b]!.role] || outTokens[b]! - outTokens[a]!);
    for (const i of order) {
      if (total <= budget) {
        break;
      }
      const before = outTokens[i]!;
      const target = Math.max(32, before - (total - budget) - 16);
      if (target >= before) {
        continue;
      }
      for (let tries = 0; tries < 3 && outTokens[i]! > target; tries += 1) {
        out[i] = shrink(out[i]!, (target / outTokens[i]!) * 0.95);
        const after = await count(out[i]);
        total += after - outTokens[i]!;
        outTokens[i] = after;
      }
      cut += 1;
    }
  }
  return { messages: out, tokens: total, fits: total <= budget, collapsed, dropped, cut };
}
