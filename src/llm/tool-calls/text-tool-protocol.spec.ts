import { describe, expect, it } from 'vitest';
import type { ModelRequest, ToolDefinition } from '../types.js';
import { parseToolCalls } from './parse-tool-calls.js';
import { toolsPrompt, toTextProtocol } from './text-tool-protocol.js';

const tools: ToolDefinition[] = [
  {
    name: 'read_file',
    description: 'Read a file.',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
];

describe('toTextProtocol', () => {
  it('describes the tools in the system prompt the way Qwen/Hermes templates do, with an example', () => {
    const prompt = toolsPrompt(tools);
    expect(prompt).toContain('<tools>\n{"type":"function","function":{"name":"read_file"');
    expect(prompt).toContain('within <tool_call></tool_call> XML tags');
    expect(prompt).toContain(
      '<tool_call>\n{"name":"read_file","arguments":{"path":"<path>"}}\n</tool_call>',
    );
    // The example is itself a call the parser reads.
    expect(parseToolCalls(prompt.slice(prompt.indexOf('For example'))).calls[0]?.name).toBe(
      'read_file',
    );
  });

  it('writes earlier calls and results as text, one user turn per run of results, and sends no tools', () => {
    const request: ModelRequest = {
      messages: [
        { role: 'system', content: 'You are the developer.' },
        { role: 'user', content: 'task' },
        {
          role: 'assistant',
          content: 'Reading both.',
          toolCalls: [
            { id: 'a', name: 'read_file', arguments: { path: 'a.py' } },
            { id: 'b', name: 'read_file', arguments: { path: 'b.py' } },
          ],
        },
        { role: 'tool', toolCallId: 'a', name: 'read_file', content: 'A' },
        { role: 'tool', toolCallId: 'b', name: 'read_file', content: 'B' },
      ],
      tools,
      temperature: 0.3,
    };
    const text = toTextProtocol(request);
    expect(text.tools).toBeUndefined();
    expect(text.temperature).toBe(0.3);
    expect(text.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(text.messages[0]!.content).toMatch(/^You are the developer\.\n\n# Tools\n/);
    expect(text.messages[2]).toEqual({
      role: 'assistant',
      content:
        'Reading both.\n<tool_call>\n{"name":"read_file","arguments":{"path":"a.py"}}\n</tool_call>\n<tool_call>\n{"name":"read_file","arguments":{"path":"b.py"}}\n</tool_call>',
    });
    expect(text.messages[3]!.content).toBe(
      '<tool_response>\nA\n</tool_response>\n<tool_response>\nB\n</tool_response>',
    );
    // The input is not changed.
    expect(request.messages).toHaveLength(5);
  });

  it('adds a system message when there is none', () => {
    const text = toTextProtocol({ messages: [{ role: 'user', content: 'task' }], tools });
    expect(text.messages[0]!.role).toBe('system');
    expect(text.messages[0]!.content).toMatch(/^# Tools/);
  });
});
