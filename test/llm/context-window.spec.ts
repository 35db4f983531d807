/**
 * Context management at the HTTP boundary: requests are fitted into the alias's contextSize (with room for
 * the answer), a server's context-length error (vLLM, llama.cpp server) becomes a condensed retry, and
 * token counts come from a server's /tokenize when the alias says so. The nock servers count tokens
 * themselves (a stand-in tokenizer of a fixed number of characters per token) and refuse what does not
 * fit, as vLLM and llama.cpp's server do.
 */
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { RepoPolicy } from '../../src/config/repo-policy.js';
import { ContextLengthExceededError } from '../../src/errors/index.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { MemoryModelCallRecorder } from '../../src/llm/model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import type { ChatMessage } from '../../src/llm/types.js';
import { readFileConversation } from './fixtures/conversations.js';
import { useNock, type JsonBody } from './nock-helpers.js';

const SERVER = 'http://gpu.test:8000';
const OLLAMA = 'http://ollama.test:11434';
const CONTEXT = 4096;
const catalog = parseModelCatalog(
  `
models:
  vllm:
    provider: openai
    model: coder
    endpoint: ${SERVER}/v1
    remote: false
    contextSize: ${CONTEXT}
    maxOutputTokens: 1024
  llama-server:
    provider: openai
    model: coder
    endpoint: ${SERVER}/ls/v1
    remote: false
    contextSize: ${CONTEXT}
    maxOutputTokens: 1024
    tokenizer: llama-server
  ollama:
    provider: ollama
    model: qwen2.5-coder:7b
    endpoint: ${OLLAMA}
    contextSize: ${CONTEXT}
    maxOutputTokens: 1024
`,
  {},
);

/** The stand-in server tokenizer: `charsPerToken` characters a token, 6 tokens per message. */
function promptTokens(body: JsonBody, charsPerToken: number): number {
  const messages = body.messages as JsonBody[];
  const chars = messages.reduce(
    (n, m) =>
      n + String(m.content ?? '').length + (m.tool_calls ? JSON.stringify(m.tool_calls).length : 0),
    0,
  );
  return Math.ceil(chars / charsPerToken) + 6 * messages.length;
}

/** A task and `steps` read_file turns whose results are `size` characters each. */
const longConversation = (steps: number, size: number): ChatMessage[] =>
  readFileConversation({
    steps,
    task: 'Implement multiply.',
    result: (i) => `${i} `.repeat(size / 2),
  });

const completion = (prompt: number) => ({
  id: 'x',
  object: 'chat.completion',
  created: 1,
  model: 'coder',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'ok' } }],
  usage: { prompt_tokens: prompt, completion_tokens: 2, total_tokens: prompt + 2 },
});

/** A vLLM stand-in at `path`: refuses prompt + max_tokens > CONTEXT with vLLM's wording. */
function vllmServer(path: string, charsPerToken: number, requests: number) {
  const seen: { prompt: number; maxTokens: number }[] = [];
  nock(SERVER)
    .post(path)
    .times(requests)
    .reply((_uri, body) => {
      const b = body as JsonBody;
      const prompt = promptTokens(b, charsPerToken);
      seen.push({ prompt, maxTokens: b.max_tokens as number });
      if (prompt + (b.max_tokens as number) > CONTEXT) {
        return [
          400,
          {
            object: 'error',
            message: `This model's maximum context length is ${CONTEXT} tokens. However, you requested ${prompt + (b.max_tokens as number)} tokens (${prompt} in the messages, ${b.max_tokens} in the completion). Please reduce the length of the messages or completion.`,
            type: 'BadRequestError',
            param: null,
            code: 400,
          },
        ];
      }
      return [200, completion(prompt)];
    });
  return seen;
}

function setup(role: 'developer', alias: string) {
  const recorder = new MemoryModelCallRecorder();
  const manager = new ModelManager({ catalog, recorder, sleep: () => Promise.resolve() });
  const session = manager.forTicket({
    policy: RepoPolicy.parse({ models: { [role]: { alias } } }),
  });
  return { recorder, session };
}

describe('context window (HTTP)', () => {
  useNock();

  it('fits a conversation six times the context into it, leaving room for the answer', async () => {
    const messages = longConversation(40, 2_000);
    const seen = vllmServer('/v1/chat/completions', 3.5, 1);
    const { session } = setup('developer', 'vllm');
    await session.complete('developer', { messages });
    expect(promptTokens({ messages }, 3.5)).toBeGreaterThan(6 * CONTEXT);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.prompt + seen[0]!.maxTokens).toBeLessThanOrEqual(CONTEXT);
    expect(seen[0]!.maxTokens).toBeGreaterThanOrEqual(CONTEXT / 4);
    expect(session.contextStats()).toMatchObject({ condensed: 1, contextRetries: 0 });
    expect(session.contextStats().largestPromptTokens).toBeLessThanOrEqual(CONTEXT);
  });

  it("retries condensed after vLLM's HTTP 400 for context length, and learns the server's count", async () => {
    // A tokenizer denser than the estimate: 2 characters a token.
    const messages = longConversation(6, 2_000);
    const seen = vllmServer('/v1/chat/completions', 2, 3);
    const { session, recorder } = setup('developer', 'vllm');
    const { response } = await session.complete('developer', { messages });
    expect(response.text).toBe('ok');
    expect(seen.length).toBe(2);
    expect(seen[0]!.prompt + seen[0]!.maxTokens).toBeGreaterThan(CONTEXT);
    expect(seen[1]!.prompt + seen[1]!.maxTokens).toBeLessThanOrEqual(CONTEXT);
    expect(recorder.rows.map((r) => [r.outcome, r.errorCode])).toEqual([
      ['error', 'context_length_exceeded'],
      ['ok', undefined],
    ]);
    expect(session.contextStats().contextRetries).toBe(1);
    // Calibrated: the next request of the same size fits at once.
    await session.complete('developer', { messages });
    expect(seen.length).toBe(3);
    expect(seen[2]!.prompt + seen[2]!.maxTokens).toBeLessThanOrEqual(CONTEXT);
    nock.cleanAll();
  });

  it("retries after llama.cpp server's exceed_context_size_error, and gives up with a typed error when it keeps coming", async () => {
    const body = {
      error: {
        code: 400,
        message: 'the request exceeds the available context size, try increasing it',
        type: 'exceed_context_size_error',
        n_prompt_tokens: 5000,
        n_ctx: CONTEXT,
      },
    };
    nock(SERVER).post('/v1/chat/completions').times(3).reply(400, body);
    const { session, recorder } = setup('developer', 'vllm');
    const error = await session
      .complete('developer', { messages: longConversation(3, 600) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContextLengthExceededError);
    expect(error).toMatchObject({
      code: 'context_length_exceeded',
      details: { promptTokens: 5000, contextTokens: CONTEXT, status: 400 },
    });
    expect(recorder.rows.map((r) => r.errorCode)).toEqual([
      'context_length_exceeded',
      'context_length_exceeded',
      'context_length_exceeded',
    ]);
  });

  it('cuts the task and the system prompt too, as a last resort', async () => {
    const seen = vllmServer('/v1/chat/completions', 3.5, 1);
    const { session } = setup('developer', 'vllm');
    const huge = 'x'.repeat(CONTEXT * 20);
    await session.complete('developer', {
      messages: [
        { role: 'system', content: `You are the developer. ${huge}` },
        { role: 'user', content: `Implement multiply. ${huge}` },
      ],
    });
    expect(seen[0]!.prompt + seen[0]!.maxTokens).toBeLessThanOrEqual(CONTEXT);
  });

  it('fails before sending anything when the tool descriptions alone fill the context', async () => {
    const { session } = setup('developer', 'vllm');
    const error = await session
      .complete('developer', {
        messages: [{ role: 'user', content: 'hi' }],
        tools: [
          { name: 'big', description: 'y'.repeat(CONTEXT * 4), parameters: { type: 'object' } },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContextLengthExceededError);
    expect((error as Error).message).toMatch(/tool descriptions .* leave no room/);
  });

  it("counts with the server's /tokenize when the alias says tokenizer: llama-server", async () => {
    const asked: string[] = [];
    nock(SERVER)
      .post('/ls/tokenize', (b: JsonBody) => asked.push(String(b.content)) > 0)
      .times(100)
      .reply((_u, b) => [
        200,
        {
          tokens: Array.from(
            { length: Math.ceil(String((b as JsonBody).content).length / 2) },
            () => 1,
          ),
        },
      ]);
    const seen = vllmServer('/ls/v1/chat/completions', 2, 1);
    const { session } = setup('developer', 'llama-server');
    await session.complete('developer', { messages: longConversation(6, 2_000) });
    expect(asked.length).toBeGreaterThan(0);
    // Exact counts: no refusal, no retry.
    expect(seen).toHaveLength(1);
    expect(seen[0]!.prompt + seen[0]!.maxTokens).toBeLessThanOrEqual(CONTEXT);
    nock.cleanAll();
  });

  it('keeps Ollama requests inside num_ctx (Ollama would drop the oldest messages, the task first)', async () => {
    const seen: JsonBody[] = [];
    nock(OLLAMA)
      .post('/api/chat', (b: JsonBody) => seen.push(b) > 0)
      .reply(200, {
        model: 'qwen2.5-coder:7b',
        created_at: '2026-11-29T00:00:00Z',
        message: { role: 'assistant', content: 'ok' },
        done: true,
        done_reason: 'stop',
        prompt_eval_count: 100,
        eval_count: 2,
      });
    const { session } = setup('developer', 'ollama');
    const messages = longConversation(30, 2_000);
    await session.complete('developer', { messages });
    const body = seen[0]!;
    expect(body.options.num_ctx).toBe(CONTEXT);
    expect(promptTokens(body, 3.5) + (body.options.num_predict as number)).toBeLessThanOrEqual(
      CONTEXT,
    );
    expect(body.messages[1].content).toMatch(/^Implement multiply\.\n\n\[Context condensed/);
  });
});
