import { describe, expect, it } from 'vitest';
import { ModelCallError } from '../../errors/index.js';
import { ScriptedProvider, parseModelScript } from '../providers/scripted-provider.js';
import type { ChatMessage, ModelProvider, ModelRequest, ToolDefinition } from '../types.js';
import { ToolCallingProvider } from './tool-calling-provider.js';

const tools: ToolDefinition[] = [
  {
    name: 'read_file',
    description: 'Read.',
    parameters: { type: 'object', properties: { path: { type: 'string' } } },
  },
];
const scripted = (yaml: string) =>
  new ScriptedProvider({ alias: 'm', responses: parseModelScript(yaml) });

describe('ToolCallingProvider', () => {
  it('gives calls new ids when a provider repeats ids used earlier in the conversation', async () => {
    // Like the llama.cpp provider before: `call_0` on every turn.
    const inner = scripted(`
- toolCalls: [{ id: call_0, name: read_file, arguments: { path: a } }]
  times: always
`);
    const provider = new ToolCallingProvider(inner, { mode: 'native' });
    const first = await provider.complete({ messages: [{ role: 'user', content: 'go' }], tools });
    expect(first.toolCalls[0]!.id).toBe('call_0');
    const history: ChatMessage[] = [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: '', toolCalls: first.toolCalls },
      { role: 'tool', toolCallId: 'call_0', name: 'read_file', content: 'A' },
    ];
    const second = await provider.complete({ messages: history, tools });
    expect(second.toolCalls[0]!.id).not.toBe('call_0');
    expect(second.toolCalls[0]!.id).toMatch(/^call_[0-9a-f]{12}$/);
  });

  it('auto: reads text calls, then sends later requests in the text protocol', async () => {
    const inner = scripted(`
- text: 'Reading.<tool_call>{"name": "read_file", "arguments": {"path": "a"}}</tool_call>'
- text: '<tool_call>{"name": "read_file", "arguments": {"path": "b"}}</tool_call>'
`);
    const provider = new ToolCallingProvider(inner, { mode: 'auto' });
    const request: ModelRequest = { messages: [{ role: 'user', content: 'go' }], tools };
    const first = await provider.complete(request);
    expect(first).toMatchObject({
      text: 'Reading.',
      toolCalls: [{ name: 'read_file', arguments: { path: 'a' } }],
    });
    expect(provider.textMode).toBe(true);
    await provider.complete(request);
    expect(inner.received[0]!.tools).toHaveLength(1);
    expect(inner.received[1]!.tools).toBeUndefined();
    expect(inner.received[1]!.messages[0]!.content).toContain('<tools>');
  });

  it('auto: passes through answers without calls, and errors that are not a refusal of tools', async () => {
    const inner = scripted(`
- text: 'The tests pass.'
- error: { message: 'overloaded', transient: true, status: 503 }
`);
    const provider = new ToolCallingProvider(inner, { mode: 'auto' });
    const request: ModelRequest = { messages: [{ role: 'user', content: 'go' }], tools };
    expect(await provider.complete(request)).toMatchObject({
      text: 'The tests pass.',
      toolCalls: [],
    });
    await expect(provider.complete(request)).rejects.toBeInstanceOf(ModelCallError);
    expect(provider.textMode).toBe(false);
  });

  it("native: a refusal of tools is the caller's error", async () => {
    const refusing: ModelProvider = {
      alias: 'm',
      complete: () =>
        Promise.reject(new ModelCallError('m', 'HTTP 400: tools not supported', false, 400)),
      close: () => Promise.resolve(),
    };
    const provider = new ToolCallingProvider(refusing, { mode: 'native' });
    await expect(
      provider.complete({ messages: [{ role: 'user', content: 'go' }], tools }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('text: reports a truncated text call as a problem, with the answer marked truncated', async () => {
    const inner = scripted(`
- text: '<tool_call>{"name": "read_file", "arguments": {"path": "a'
  truncated: true
`);
    const provider = new ToolCallingProvider(inner, { mode: 'text' });
    const response = await provider.complete({
      messages: [{ role: 'user', content: 'go' }],
      tools,
    });
    expect(response.toolCalls).toEqual([]);
    expect(response.truncated).toBe(true);
    expect(response.toolCallProblems).toEqual([
      expect.objectContaining({ kind: 'truncated', dialect: 'hermes' }),
    ]);
  });
});
