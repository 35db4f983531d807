/**
 * Tool calling at the HTTP boundary (nock) through the real ModelManager, session and providers: servers
 * that answer tools with calls written as text, servers that refuse `tools`, the text protocol on later
 * calls, native calls cut off by the output limit, unique call ids, temperature and seed.
 */
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { RepoPolicy } from '../../src/config/repo-policy.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { MemoryModelCallRecorder } from '../../src/llm/model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import type { ChatMessage, ModelRequest, ToolDefinition } from '../../src/llm/types.js';
import { JSON_CALLS, QWEN3_CODER } from './fixtures/tool-call-answers.js';
import { useNock, type JsonBody } from './nock-helpers.js';

const VLLM = 'http://vllm.test:8000';
const OLLAMA = 'http://ollama.test:11434';
const catalog = parseModelCatalog(
  `
models:
  auto:
    provider: openai
    model: Qwen/Qwen3-Coder-30B-A3B-Instruct
    endpoint: ${VLLM}/v1
    remote: false
    seed: 7
  native:
    provider: openai
    model: Qwen/Qwen3-Coder-30B-A3B-Instruct
    endpoint: ${VLLM}/native/v1
    remote: false
    toolCalling: native
  text:
    provider: openai
    model: devstral
    endpoint: ${VLLM}/text/v1
    remote: false
    toolCalling: text
    temperature: 0.5
  ollama:
    provider: ollama
    model: qwen2.5-coder:7b
    endpoint: ${OLLAMA}
    contextSize: 16384
`,
  {},
);
const tools: ToolDefinition[] = [
  {
    name: 'read_file',
    description: 'Read a file.',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
  {
    name: 'write_file',
    description: 'Write a file.',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string' }, content: { type: 'string' } },
      required: ['path', 'content'],
    },
  },
];
const task: ChatMessage[] = [
  { role: 'system', content: 'You are the developer.' },
  { role: 'user', content: 'Make the tests pass.' },
];

function completion(content: string | null, extra: JsonBody = {}, finish = 'stop') {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [
      { index: 0, finish_reason: finish, message: { role: 'assistant', content, ...extra } },
    ],
    usage: { prompt_tokens: 300, completion_tokens: 40, total_tokens: 340 },
  };
}

function ollamaReply(content: string, extra: JsonBody = {}, doneReason = 'stop') {
  return {
    model: 'qwen2.5-coder:7b',
    created_at: '2026-11-29T00:00:00Z',
    message: { role: 'assistant', content, ...extra },
    done: true,
    done_reason: doneReason,
    prompt_eval_count: 300,
    eval_count: 40,
  };
}

function session(role: 'developer' | 'tester', alias: string) {
  const recorder = new MemoryModelCallRecorder();
  const manager = new ModelManager({ catalog, recorder, sleep: () => Promise.resolve() });
  const policy = RepoPolicy.parse({ models: { [role]: { alias } } });
  return { manager, recorder, session: manager.forTicket({ policy }) };
}

/** A nock body recorder for one path. */
function recordPost(base: string, path: string, replies: [number, unknown][]): JsonBody[] {
  const bodies: JsonBody[] = [];
  const scope = nock(base);
  for (const [status, body] of replies) {
    scope.post(path, (b: JsonBody) => bodies.push(b) > 0).reply(status, body as nock.Body);
  }
  return bodies;
}

describe('tool calling: toolCalling auto on an OpenAI-compatible server', () => {
  useNock();

  it('reads calls the server left as text, then speaks the text protocol for this alias', async () => {
    const qwen = QWEN3_CODER[0]!;
    const bodies = recordPost(VLLM, '/v1/chat/completions', [
      [200, completion(qwen.text)],
      [
        200,
        completion(
          '<tool_call>\n{"name": "read_file", "arguments": {"path": "b.py"}}\n</tool_call>',
        ),
      ],
    ]);
    const { session: s } = session('developer', 'auto');
    const first = await s.complete('developer', { messages: task, tools });
    expect(bodies[0]!.tools.map((t: JsonBody) => String(t.function.name))).toEqual([
      'read_file',
      'write_file',
    ]);
    expect(first.response.toolCalls).toEqual([
      {
        id: expect.stringMatching(/^call_[0-9a-f]{12}$/),
        name: 'get_current_weather',
        arguments: { city: 'Dallas', state: 'TX', unit: 'fahrenheit' },
      },
    ]);
    expect(first.response.text).toBe('Sure! Let me check the weather for you.');

    const call = first.response.toolCalls[0]!;
    const history: ModelRequest = {
      messages: [
        ...task,
        { role: 'assistant', content: first.response.text, toolCalls: [call] },
        { role: 'tool', toolCallId: call.id, name: call.name, content: '{"ok":true}' },
      ],
      tools,
    };
    const second = await s.complete('developer', history);
    expect(second.response.toolCalls.map((c) => c.arguments)).toEqual([{ path: 'b.py' }]);
    expect(second.response.toolCalls[0]!.id).not.toBe(call.id);
    // Text protocol: no tools field; tools described in the system prompt; history written as text.
    const body = bodies[1]!;
    expect(body.tools).toBeUndefined();
    expect(body.messages[0].content).toMatch(/^You are the developer\.\n\n# Tools\n/);
    expect(body.messages[0].content).toContain('"name":"write_file"');
    expect(body.messages.map((m: JsonBody) => String(m.role))).toEqual([
      'system',
      'user',
      'assistant',
      'user',
    ]);
    expect(body.messages[2].content).toContain('<tool_call>\n{"name":"get_current_weather"');
    expect(body.messages[2].tool_calls).toBeUndefined();
    expect(body.messages[3].content).toBe('<tool_response>\n{"ok":true}\n</tool_response>');
  });

  it('retries a request whose tools the server refuses (HTTP 400) with the text protocol, in the same call', async () => {
    const bodies = recordPost(VLLM, '/v1/chat/completions', [
      [
        400,
        {
          object: 'error',
          message:
            '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
          type: 'BadRequestError',
          param: null,
          code: 400,
        },
      ],
      [
        200,
        completion(
          JSON_CALLS[0]!.text
            .replace('calculator', 'read_file')
            .replace('"expr": "17 * 23"', '"path": "a.py"'),
        ),
      ],
    ]);
    const { session: s, recorder } = session('developer', 'auto');
    const { response } = await s.complete('developer', { messages: task, tools });
    expect(response.toolCalls.map((c) => [c.name, c.arguments])).toEqual([
      ['read_file', { path: 'a.py' }],
    ]);
    expect(bodies[0]!.tools).toHaveLength(2);
    expect(bodies[1]!.tools).toBeUndefined();
    expect(bodies[1]!.messages[0].content).toContain('<tools>');
    expect(recorder.rows.map((r) => r.outcome)).toEqual(['ok']);
  });

  it('reports a native call whose JSON the output limit cut off, and the answer as truncated', async () => {
    recordPost(VLLM, '/v1/chat/completions', [
      [
        200,
        completion(
          null,
          {
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: {
                  name: 'write_file',
                  arguments: '{"path": "src/a.ts", "content": "export const a',
                },
              },
            ],
          },
          'length',
        ),
      ],
    ]);
    const { session: s } = session('developer', 'auto');
    const { response } = await s.complete('developer', { messages: task, tools });
    expect(response.toolCalls).toEqual([]);
    expect(response.truncated).toBe(true);
    expect(response.toolCallProblems).toEqual([
      expect.objectContaining({ kind: 'truncated', dialect: 'native' }),
    ]);
  });

  it('sends the alias default temperature and seed unless the request sets them', async () => {
    const bodies = recordPost(VLLM, '/v1/chat/completions', [
      [200, completion('ok')],
      [200, completion('ok')],
    ]);
    const { session: s } = session('developer', 'auto');
    await s.complete('developer', { messages: task });
    await s.complete('developer', { messages: task, temperature: 0.9, seed: 3 });
    expect([bodies[0]!.temperature, bodies[0]!.seed]).toEqual([0.2, 7]);
    expect([bodies[1]!.temperature, bodies[1]!.seed]).toEqual([0.9, 3]);
  });
});

describe('tool calling: native and text settings', () => {
  useNock();

  it('native: never reads calls from the text', async () => {
    recordPost(`${VLLM}/native`, '/v1/chat/completions', [[200, completion(QWEN3_CODER[0]!.text)]]);
    const { session: s } = session('developer', 'native');
    const { response } = await s.complete('developer', { messages: task, tools });
    expect(response.toolCalls).toEqual([]);
    expect(response.text).toContain('<function=get_current_weather>');
  });

  it('text: describes the tools from the first call and reads Mistral calls', async () => {
    const bodies = recordPost(`${VLLM}/text`, '/v1/chat/completions', [
      [
        200,
        completion(
          '[TOOL_CALLS]read_file[ARGS]{"path": "a.py"}[TOOL_CALLS]read_file[ARGS]{"path": "b.py"}',
        ),
      ],
    ]);
    const { session: s } = session('developer', 'text');
    const { response } = await s.complete('developer', { messages: task, tools });
    expect(bodies[0]!.tools).toBeUndefined();
    expect(bodies[0]!.temperature).toBe(0.5);
    expect(response.toolCalls.map((c) => c.arguments)).toEqual([
      { path: 'a.py' },
      { path: 'b.py' },
    ]);
    expect(new Set(response.toolCalls.map((c) => c.id)).size).toBe(2);
  });
});

describe('tool calling: Ollama', () => {
  useNock();

  it('gives every native call its own id, turn after turn, and sends temperature and num_ctx', async () => {
    const call = { tool_calls: [{ function: { name: 'read_file', arguments: { path: 'a.py' } } }] };
    const bodies = recordPost(OLLAMA, '/api/chat', [
      [200, ollamaReply('', call)],
      [200, ollamaReply('', call)],
    ]);
    const { session: s } = session('tester', 'ollama');
    const one = await s.complete('tester', { messages: task, tools });
    const first = one.response.toolCalls[0]!;
    const two = await s.complete('tester', {
      messages: [
        ...task,
        { role: 'assistant', content: '', toolCalls: [first] },
        { role: 'tool', toolCallId: first.id, name: 'read_file', content: 'first' },
      ],
      tools,
    });
    expect(two.response.toolCalls[0]!.id).not.toBe(first.id);
    expect(bodies[0]!.options).toMatchObject({ num_ctx: 16384, temperature: 0.2 });
    expect(bodies[0]!.options.seed).toBeUndefined();
  });

  it("reads Qwen2.5-Coder's bare JSON calls from the content, and switches to text for later calls", async () => {
    const bodies = recordPost(OLLAMA, '/api/chat', [
      [200, ollamaReply(JSON_CALLS[2]!.text)],
      [200, ollamaReply('Done.', {}, 'length')],
    ]);
    const { session: s } = session('tester', 'ollama');
    const { response } = await s.complete('tester', { messages: task, tools });
    expect(response.toolCalls.map((c) => c.arguments)).toEqual([
      { path: 'a.ts' },
      { path: 'b.ts' },
    ]);
    const later = await s.complete('tester', { messages: task, tools });
    expect(bodies[1]!.tools).toBeUndefined();
    expect(bodies[1]!.messages[0].content).toContain('<tools>');
    expect(later.response.truncated).toBe(true);
  });

  it('falls back to the text protocol when the model does not support tools (HTTP 400)', async () => {
    const bodies = recordPost(OLLAMA, '/api/chat', [
      [400, { error: 'registry.ollama.ai/library/codellama:7b does not support tools' }],
      [
        200,
        ollamaReply('<tool_call>\n{"name": "read_file", "arguments": {"path": "x"}}\n</tool_call>'),
      ],
    ]);
    const { session: s } = session('tester', 'ollama');
    const { response } = await s.complete('tester', { messages: task, tools });
    expect(response.toolCalls.map((c) => c.name)).toEqual(['read_file']);
    expect(bodies[1]!.tools).toBeUndefined();
  });
});
