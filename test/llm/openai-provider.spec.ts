import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RepoPolicy } from '../../src/config/repo-policy.js';
import { InvalidModelOutputError, ModelCallError } from '../../src/errors/index.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { MemoryModelCallRecorder } from '../../src/llm/model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { useNock, type JsonBody } from './nock-helpers.js';

const BASE = 'https://llm.test';
const KEY = 'sk-test-0123456789abcdefghij';
const catalog = parseModelCatalog(
  `
models:
  remote:
    provider: openai
    model: gpt-test
    endpoint: ${BASE}/v1
    apiKey: \${TEST_OPENAI_KEY}
    priceInPerMTok: 2
    priceOutPerMTok: 8
  old-server:
    provider: openai
    model: local
    endpoint: ${BASE}/old/v1
    remote: false
`,
  { TEST_OPENAI_KEY: KEY },
);
const policy = RepoPolicy.parse({
  models: { privacy: 'any', developer: { alias: 'remote' }, tester: { alias: 'old-server' } },
});
const Result = z.object({ done: z.boolean(), summary: z.string() });
const ask = { messages: [{ role: 'user' as const, content: 'implement it' }] };

function completion(content: string | null, message: JsonBody = {}) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-test',
    choices: [
      { index: 0, finish_reason: 'stop', message: { role: 'assistant', content, ...message } },
    ],
    usage: { prompt_tokens: 1000, completion_tokens: 250, total_tokens: 1250 },
  };
}

function setup() {
  const recorder = new MemoryModelCallRecorder();
  const manager = new ModelManager({ catalog, recorder, sleep: () => Promise.resolve() });
  return { recorder, session: manager.forTicket({ policy, ticketId: 9, runId: 4 }) };
}

describe('openai-compatible provider (HTTP)', () => {
  useNock();

  it('sends response_format json_schema and the key; keeps reasoning_content apart; prices the call', async () => {
    let body: JsonBody = {};
    nock(BASE, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .post('/v1/chat/completions', (b: JsonBody) => {
        body = b;
        return true;
      })
      .reply(
        200,
        completion('<think>short</think>{"done": true, "summary": "added add()"}', {
          reasoning_content: 'The test wants add(1,2)=3.',
        }),
      );
    const { session, recorder } = setup();
    const result = await session.completeStructured('developer', ask, Result);
    expect(result.value).toEqual({ done: true, summary: 'added add()' });
    expect(result.response.reasoning).toBe('The test wants add(1,2)=3.\n\nshort');
    expect(body.model).toBe('gpt-test');
    expect(body.max_tokens).toBe(4096);
    expect(body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: {
        name: 'answer',
        schema: { type: 'object', required: ['done', 'summary'] },
      },
    });
    expect(recorder.rows[0]).toMatchObject({
      provider: 'openai',
      outcome: 'ok',
      inputTokens: 1000,
      outputTokens: 250,
      ticketId: 9,
      runId: 4,
    });
    expect(recorder.rows[0]?.costUsd).toBeCloseTo(0.004); // 1000×2/1M + 250×8/1M
  });

  it('falls back to json_object + schema prompt when the server refuses json_schema, and remembers', async () => {
    const bodies: JsonBody[] = [];
    nock(`${BASE}/old`)
      .post('/v1/chat/completions', (b: JsonBody) => bodies.push(b) > 0)
      .reply(400, { error: { message: 'response_format json_schema not supported' } })
      .post('/v1/chat/completions', (b: JsonBody) => bodies.push(b) > 0)
      .reply(200, completion('{"done": false, "summary": "x"}'))
      .post('/v1/chat/completions', (b: JsonBody) => bodies.push(b) > 0)
      .reply(200, completion('{"done": true, "summary": "y"}'));
    const { session } = setup();
    expect((await session.completeStructured('tester', ask, Result)).value.done).toBe(false);
    expect((await session.completeStructured('tester', ask, Result)).value.done).toBe(true);
    expect(bodies.map((b) => String(b.response_format.type))).toEqual([
      'json_schema',
      'json_object',
      'json_object',
    ]);
    expect(bodies[1]!.messages[0].role).toBe('system');
    expect(bodies[1]!.messages[0].content).toContain('"summary"');
  });

  it('invalid JSON → repair → success; tool calls parsed', async () => {
    const bodies: JsonBody[] = [];
    nock(BASE)
      .post('/v1/chat/completions', (b: JsonBody) => bodies.push(b) > 0)
      .reply(200, completion('```json\n{"done": true}\n```'))
      .post('/v1/chat/completions', (b: JsonBody) => bodies.push(b) > 0)
      .reply(200, completion('```json\n{"done": true, "summary": "ok"}\n```'))
      .post('/v1/chat/completions')
      .reply(
        200,
        completion(null, {
          tool_calls: [
            {
              id: 'call_a',
              type: 'function',
              function: { name: 'write_file', arguments: '{"path":"src/add.ts","content":"x"}' },
            },
          ],
        }),
      );
    const { session, recorder } = setup();
    const result = await session.completeStructured('developer', ask, Result);
    expect(result).toMatchObject({ repaired: true, value: { summary: 'ok' } });
    expect(bodies[1]!.messages.at(-1).content).toContain('summary');
    expect(recorder.rows.map((r) => r.outcome)).toEqual(['invalid_output', 'ok']);
    const tools = await session.complete('developer', {
      ...ask,
      tools: [{ name: 'write_file', description: 'write', parameters: { type: 'object' } }],
    });
    expect(tools.response.toolCalls).toEqual([
      { id: 'call_a', name: 'write_file', arguments: { path: 'src/add.ts', content: 'x' } },
    ]);
  });

  it('repair failure → InvalidModelOutputError; a 401 is permanent and never shows the key', async () => {
    nock(BASE)
      .post('/v1/chat/completions')
      .reply(200, completion('{"done": "yes"}'))
      .post('/v1/chat/completions')
      .reply(200, completion('{"done": "still yes"}'))
      .post('/v1/chat/completions')
      .reply(401, { error: { message: `Incorrect API key provided: ${KEY}` } });
    const { session } = setup();
    await expect(session.completeStructured('developer', ask, Result)).rejects.toBeInstanceOf(
      InvalidModelOutputError,
    );
    const error = await session.complete('developer', ask).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelCallError);
    expect(error).toMatchObject({ status: 401, transient: false });
    expect((error as Error).message).not.toContain(KEY);
    expect((error as Error).message).toContain('[REDACTED]');
  });
});
