import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RepoPolicy } from '../../src/config/repo-policy.js';
import { InvalidModelOutputError, ModelCallError } from '../../src/errors/index.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { MemoryModelCallRecorder } from '../../src/llm/model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { useNock, type JsonBody } from './nock-helpers.js';

const HOST = 'http://ollama.test:11434';
const catalog = parseModelCatalog(
  `
models:
  qwen:
    provider: ollama
    model: qwen3:4b
    endpoint: ${HOST}
    contextSize: 16384
    reasoning: true
    keepAlive: 30m
`,
  {},
);
const policy = RepoPolicy.parse({ models: { tester: { alias: 'qwen' } } });
const Plan = z.object({ file: z.string(), cases: z.number().int() });

function chatReply(content: string, extra: JsonBody = {}) {
  return {
    model: 'qwen3:4b',
    created_at: '2026-11-21T00:00:00Z',
    message: { role: 'assistant', content, ...extra },
    done: true,
    done_reason: 'stop',
    prompt_eval_count: 120,
    eval_count: 30,
  };
}

function setup() {
  const recorder = new MemoryModelCallRecorder();
  const manager = new ModelManager({
    catalog,
    recorder,
    sleep: () => Promise.resolve(),
  });
  return { manager, recorder, session: manager.forTicket({ policy, ticketId: 1 }) };
}

const ask = { messages: [{ role: 'user' as const, content: 'plan the test' }] };

describe('ollama provider (HTTP)', () => {
  useNock();

  it('always sends num_ctx, the schema as format, keep_alive and think; keeps thinking apart', async () => {
    const bodies: JsonBody[] = [];
    nock(HOST)
      .post('/api/chat', (body: JsonBody) => {
        bodies.push(body);
        return true;
      })
      .reply(
        200,
        chatReply('<think>maybe two</think>{"file": "add.spec.ts", "cases": 3}', {
          thinking: 'the criterion needs cases',
        }),
      );
    const { session, recorder } = setup();
    const result = await session.completeStructured('tester', ask, Plan);
    expect(result.value).toEqual({ file: 'add.spec.ts', cases: 3 });
    expect(result.response.reasoning).toBe('the criterion needs cases\n\nmaybe two');
    expect(result.response.usage).toEqual({ inputTokens: 120, outputTokens: 30 });
    const body = bodies[0]!;
    expect(body.model).toBe('qwen3:4b');
    expect(body.stream).toBe(false);
    expect(body.options.num_ctx).toBe(16384);
    expect(body.options.num_predict).toBe(4096);
    expect(body.keep_alive).toBe('30m');
    expect(body.think).toBe(true);
    expect(body.format).toMatchObject({
      type: 'object',
      properties: { file: { type: 'string' }, cases: { type: 'integer' } },
      required: ['file', 'cases'],
    });
    expect(body.messages).toEqual([{ role: 'user', content: 'plan the test' }]);
    expect(recorder.rows[0]).toMatchObject({
      alias: 'qwen',
      provider: 'ollama',
      model: 'qwen3:4b',
      outcome: 'ok',
      costUsd: 0,
    });
  });

  it('sends num_ctx without a schema too, and maps tools and tool results', async () => {
    let body: JsonBody = {};
    nock(HOST)
      .post('/api/chat', (b: JsonBody) => {
        body = b;
        return true;
      })
      .reply(
        200,
        chatReply('', {
          tool_calls: [{ function: { name: 'read_file', arguments: { path: 'src/a.ts' } } }],
        }),
      );
    const { session } = setup();
    const { response } = await session.complete('tester', {
      messages: [
        { role: 'system', content: 'you are a tester' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'c1', name: 'list', arguments: {} }],
        },
        { role: 'tool', toolCallId: 'c1', name: 'list', content: 'src/a.ts' },
      ],
      tools: [{ name: 'read_file', description: 'read', parameters: { type: 'object' } }],
    });
    expect(body.options.num_ctx).toBe(16384);
    expect(body.format).toBeUndefined();
    expect(body.tools[0].function.name).toBe('read_file');
    expect(body.messages[1].tool_calls).toEqual([{ function: { name: 'list', arguments: {} } }]);
    expect(body.messages[2]).toEqual({ role: 'tool', content: 'src/a.ts', tool_name: 'list' });
    expect(response.toolCalls).toEqual([
      {
        id: expect.stringMatching(/^call_[0-9a-f]{12}$/),
        name: 'read_file',
        arguments: { path: 'src/a.ts' },
      },
    ]);
  });

  it('invalid JSON → repair prompt with the error → valid answer', async () => {
    const bodies: JsonBody[] = [];
    nock(HOST)
      .post('/api/chat', (b: JsonBody) => bodies.push(b) > 0)
      .reply(200, chatReply('{"file": "add.spec.ts", "cases": "three"}'))
      .post('/api/chat', (b: JsonBody) => bodies.push(b) > 0)
      .reply(200, chatReply('{"file": "add.spec.ts", "cases": 3}'));
    const { session, recorder } = setup();
    const result = await session.completeStructured('tester', ask, Plan);
    expect(result).toMatchObject({ value: { cases: 3 }, repaired: true });
    const repair = bodies[1]!.messages as JsonBody[];
    expect(repair.at(-2)).toEqual({
      role: 'assistant',
      content: '{"file": "add.spec.ts", "cases": "three"}',
    });
    expect(repair.at(-1)!.content).toMatch(/^Your previous answer was not valid: cases: /);
    expect(bodies[1]!.format).toEqual(bodies[0]!.format);
    expect(recorder.rows.map((r) => r.outcome)).toEqual(['invalid_output', 'ok']);
  });

  it('a failed repair is a typed error', async () => {
    nock(HOST)
      .post('/api/chat')
      .reply(200, chatReply('not json at all'))
      .post('/api/chat')
      .reply(200, chatReply('<think>{"file": "x", "cases": 1}</think>still not json'));
    const { session } = setup();
    const error = await session.completeStructured('tester', ask, Plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidModelOutputError);
    expect(error).toMatchObject({ code: 'model_output_invalid', text: 'still not json' });
  });

  it('retries a 503, then reports a 404 as a permanent typed error', async () => {
    nock(HOST)
      .post('/api/chat')
      .reply(503, { error: 'loading model' })
      .post('/api/chat')
      .reply(200, chatReply('ok'))
      .post('/api/chat')
      .reply(404, { error: 'model "qwen3:4b" not found, try pulling it first' });
    const { session, recorder } = setup();
    expect((await session.complete('tester', ask)).response.text).toBe('ok');
    const error = await session.complete('tester', ask).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelCallError);
    expect(error).toMatchObject({ status: 404, transient: false });
    expect(recorder.rows.map((r) => r.outcome)).toEqual(['error', 'ok', 'error']);
  });
});
