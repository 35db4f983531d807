import { describe, expect, it } from 'vitest';
import { readFileConversation } from '../../../test/llm/fixtures/conversations.js';
import type { ChatMessage } from '../types.js';
import { COLLAPSED, collapseToolResults } from './collapse-tool-results.js';
import { cutMiddle, fitContext } from './fit-context.js';

/** One token per 4 characters plus 4 per message: a simple, exact count for these specs. */
const count = (m: ChatMessage) =>
  Promise.resolve(
    Math.ceil(
      (m.content.length +
        (m.role === 'assistant' && m.toolCalls ? JSON.stringify(m.toolCalls).length : 0)) /
        4,
    ) + 4,
  );
const total = async (ms: readonly ChatMessage[]) =>
  (await Promise.all(ms.map(count))).reduce((a, b) => a + b, 0);

/** system, task, then `steps` turns of read_file with a result of `size` characters each. */
const conversation = (steps: number, size = 400): ChatMessage[] =>
  readFileConversation({
    steps,
    task: 'Make multiply(a, b) return the product.',
    path: (i) => `src/f${i}.py`,
    result: (i) => JSON.stringify({ ok: true, content: String(i).repeat(size) }),
  });

describe('collapseToolResults', () => {
  it('keeps the last results in full and collapses older ones to one line naming the call', () => {
    const { messages, collapsed } = collapseToolResults(conversation(4), 2);
    expect(collapsed).toBe(2);
    const tools = messages.filter((m) => m.role === 'tool');
    expect(tools[0]!.content).toBe(
      `${COLLAPSED} read_file {"path":"src/f0.py"} → ok (424 characters). Call the tool again if you need it.`,
    );
    expect(tools[1]!.content.startsWith(COLLAPSED)).toBe(true);
    expect(tools[2]!.content).toContain('2222');
    expect(tools[3]!.content).toContain('3333');
    // The pairing of calls and results is kept.
    expect(tools.map((m) => m.role === 'tool' && m.toolCallId)).toEqual(['c0', 'c1', 'c2', 'c3']);
  });

  it('says when a collapsed call failed, and never collapses twice', () => {
    const failed: ChatMessage[] = [
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'x', name: 'write_file', arguments: {} }],
      },
      {
        role: 'tool',
        toolCallId: 'x',
        name: 'write_file',
        content: JSON.stringify({
          ok: false,
          error: { type: 'forbidden', message: 'tests/a.py is a test file' },
        }),
      },
    ];
    const once = collapseToolResults(failed, 0);
    expect(once.messages[1]!.content).toContain('→ failed: forbidden: tests/a.py is a test file');
    expect(collapseToolResults(once.messages, 0)).toEqual({
      messages: once.messages,
      collapsed: 0,
    });
  });
});

describe('fitContext', () => {
  it('changes nothing that fits, apart from collapsing when asked', async () => {
    const input = conversation(3, 40);
    expect(await fitContext(input, { budget: 10_000, count })).toMatchObject({
      messages: input,
      fits: true,
      dropped: 0,
      cut: 0,
      collapsed: 0,
    });
  });

  it('drops the oldest turns, keeps the system prompt, the task and the latest turn, and notes what was dropped', async () => {
    const input = conversation(10);
    const budget = 600;
    expect(await total(input)).toBeGreaterThan(budget);
    const fit = await fitContext(input, { budget, count });
    expect(fit.fits).toBe(true);
    expect(fit.tokens).toBe(await total(fit.messages));
    expect(fit.tokens).toBeLessThanOrEqual(budget);
    expect(fit.dropped).toBeGreaterThan(0);
    expect(fit.messages[0]).toEqual(input[0]);
    expect(fit.messages[1]!.content).toMatch(
      /^Make multiply\(a, b\) return the product\.\n\n\[Context condensed: your first \d+ steps were removed/,
    );
    expect(fit.messages[1]!.content).toContain('read_file {"path":"src/f0.py"}');
    expect(fit.messages.slice(-2)).toEqual(input.slice(-2));
    // Whole turns only: every tool result still follows its call.
    const roles = fit.messages.slice(2).map((m) => m.role);
    expect(roles.join(',')).toMatch(/^(assistant,tool,?)+$/);
  });

  it('cuts the latest result in the middle when the latest turn alone is too long', async () => {
    const input = conversation(1, 20_000);
    const fit = await fitContext(input, { budget: 1_000, count });
    expect(fit).toMatchObject({ fits: true, cut: 1, dropped: 0 });
    expect(fit.tokens).toBeLessThanOrEqual(1_000);
    const result = fit.messages.at(-1)!.content;
    expect(result).toMatch(/characters cut to fit the context window/);
    expect(result.startsWith('{"ok":true,"content":"0000')).toBe(true);
    expect(fit.messages[1]).toEqual(input[1]);
  });

  it('cuts the long string arguments of the latest call (a whole file in write_file)', async () => {
    const input: ChatMessage[] = [
      ...conversation(0),
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'w', name: 'write_file', arguments: { path: 'a.py', content: 'x'.repeat(12_000) } },
        ],
      },
      { role: 'tool', toolCallId: 'w', name: 'write_file', content: '{"ok":true}' },
    ];
    const fit = await fitContext(input, { budget: 800, count });
    expect(fit.fits).toBe(true);
    const call = fit.messages.find((m) => m.role === 'assistant')!;
    expect(call.role === 'assistant' && call.toolCalls![0]!.arguments.path).toBe('a.py');
    expect(call.role === 'assistant' && String(call.toolCalls![0]!.arguments.content)).toMatch(
      /cut to fit/,
    );
  });

  it('reports a conversation that cannot fit', async () => {
    const fit = await fitContext(conversation(0), { budget: 10, count });
    expect(fit.fits).toBe(false);
  });
});

describe('cutMiddle', () => {
  it('keeps the head and the tail and says how much was cut', () => {
    const text = `${'a'.repeat(500)}${'b'.repeat(500)}`;
    const cut = cutMiddle(text, 300);
    expect(cut.length).toBeLessThan(400);
    expect(cut.startsWith('aaaa')).toBe(true);
    expect(cut.endsWith('bbbb')).toBe(true);
    expect(cut).toContain('[780 characters cut to fit the context window]');
    expect(cutMiddle('short', 300)).toBe('short');
  });
});
