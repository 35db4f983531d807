import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RepoPolicy } from '../../src/config/repo-policy.js';
import { ContextLengthExceededError, ModelUnavailableError } from '../../src/errors/index.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { MemoryModelCallRecorder } from '../../src/llm/model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import type { LlamaCppProvider } from '../../src/llm/providers/llama-cpp-provider.js';
import type { ChatMessage, ToolDefinition } from '../../src/llm/types.js';
import { writeTinyGguf, type TinyGgufInfo } from '../helpers/tiny-gguf.js';

const Verdict = z.object({ verdict: z.enum(['approve', 'reject']), n: z.number().int() });

describe('llama-cpp provider (embedded, real node-llama-cpp)', () => {
  let dir: string;
  let gguf: TinyGgufInfo;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-llama-'));
    gguf = await writeTinyGguf(join(dir, 'tiny.gguf'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a small, deterministic GGUF v3 file', async () => {
    const again = await writeTinyGguf(join(dir, 'again.gguf'));
    const [a, b] = await Promise.all([readFile(gguf.path), readFile(again.path)]);
    expect(a.equals(b)).toBe(true);
    expect(a.subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(a.readUInt32LE(4)).toBe(3);
    expect(gguf.bytes).toBeGreaterThan(300_000);
    expect(gguf.bytes).toBeLessThan(1_000_000);
    const other = await writeTinyGguf(join(dir, 'other.gguf'), { seed: 7 });
    expect((await readFile(other.path)).equals(a)).toBe(false);
  });

  it('loads the model, answers against a JSON schema, serializes calls, unloads after the idle TTL', async () => {
    const catalog = parseModelCatalog(
      JSON.stringify({
        modelsDir: dir,
        models: {
          tiny: {
            provider: 'llama-cpp',
            model: gguf.path,
            contextSize: 512,
            maxOutputTokens: 48,
            idleTtlSeconds: 1,
            threads: 1,
          },
        },
      }),
      {},
    );
    const recorder = new MemoryModelCallRecorder();
    const manager = new ModelManager({ catalog, recorder });
    try {
      const policy = RepoPolicy.parse({ models: { reviewer: { alias: 'tiny' } } });
      const session = manager.forTicket({ policy, ticketId: 5 });
      const request = {
        messages: [
          { role: 'system' as const, content: 'You review code.' },
          { role: 'user' as const, content: 'Verdict?' },
        ],
        temperature: 0,
      };
      // Two calls at once on one context sequence: the provider queues the second.
      const [a, b] = await Promise.all([
        session.completeStructured('reviewer', request, Verdict),
        session.completeStructured('reviewer', request, Verdict),
      ]);
      for (const r of [a, b]) {
        expect(Verdict.parse(r.value)).toEqual(r.value);
        expect(r.repaired).toBe(false);
        expect(r.response.usage.outputTokens).toBeGreaterThan(0);
        expect(r.response.usage.inputTokens).toBeGreaterThan(0);
      }
      expect(a.value).toEqual(b.value); // temperature 0 and a fresh sequence per call: same answer
      expect(recorder.rows.map((r) => [r.provider, r.outcome, r.costUsd])).toEqual([
        ['llama-cpp', 'ok', 0],
        ['llama-cpp', 'ok', 0],
      ]);

      const provider = (await manager.provider('tiny')) as LlamaCppProvider;
      expect(provider.isLoaded).toBe(true);
      await sleep(1_600);
      expect(provider.isLoaded).toBe(false);

      const again = await session.completeStructured('reviewer', request, Verdict);
      expect(again.value).toEqual(a.value);
      expect(provider.isLoaded).toBe(true);
    } finally {
      await manager.close();
    }
  });

  it('offers tools as chat functions and accepts tool-call history', async () => {
    const catalog = parseModelCatalog(
      JSON.stringify({
        models: {
          // Function documentation goes into the prompt: more context than the model's 512.
          tiny: { provider: 'llama-cpp', model: gguf.path, contextSize: 2048, threads: 1 },
        },
      }),
      {},
    );
    const manager = new ModelManager({ catalog });
    try {
      const policy = RepoPolicy.parse({ models: { developer: { alias: 'tiny' } } });
      const session = manager.forTicket({ policy });
      const messages = [{ role: 'user' as const, content: 'Write src/a.ts' }];
      const tools = [
        {
          name: 'write_file',
          description: 'Write a file in the workspace',
          parameters: {
            type: 'object',
            properties: { path: { type: 'string' }, content: { type: 'string' } },
            required: ['path', 'content'],
          },
        },
      ];
      const plain = await session.complete('developer', { messages, maxTokens: 8, temperature: 0 });
      const withTools = await session.complete('developer', {
        messages: [
          ...messages,
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 'c1', name: 'write_file', arguments: { path: 'a', content: 'x' } }],
          },
          { role: 'tool', toolCallId: 'c1', name: 'write_file', content: 'written' },
        ],
        tools,
        maxTokens: 8,
        temperature: 0,
      });
      // The random model answers nothing useful, but the function docs and the call history reached it.
      expect(withTools.response.usage.inputTokens).toBeGreaterThan(
        plain.response.usage.inputTokens + 100,
      );
      expect(Array.isArray(withTools.response.toolCalls)).toBe(true);
    } finally {
      await manager.close();
    }
  });

  it('a missing file or an unreachable hf: download is a clear ModelUnavailableError', async () => {
    const catalog = parseModelCatalog(
      JSON.stringify({
        modelsDir: dir,
        huggingFaceEndpoint: 'http://127.0.0.1:9/',
        models: {
          gone: { provider: 'llama-cpp', model: join(dir, 'missing.gguf') },
          hf: { provider: 'llama-cpp', model: 'hf:nobody/none-GGUF/none.Q4_K_M.gguf' },
        },
      }),
      {},
    );
    const manager = new ModelManager({ catalog });
    try {
      const policy = RepoPolicy.parse({
        models: { pm: { alias: 'gone' }, architect: { alias: 'hf' } },
      });
      const session = manager.forTicket({ policy });
      const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };
      const missing = await session.complete('pm', ask).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(ModelUnavailableError);
      expect((missing as Error).message).toContain('does not exist');
      const started = Date.now();
      const offline = await session.complete('architect', ask).catch((e: unknown) => e);
      expect(offline).toBeInstanceOf(ModelUnavailableError);
      expect(offline).toMatchObject({ code: 'model_unavailable' });
      expect((offline as Error).message).toContain('cannot be reached');
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await manager.close();
    }
  });

  describe('tool-call ids, context and tokenizer', () => {
    const tools: ToolDefinition[] = [
      {
        name: 'read_file',
        description: 'Read a file',
        parameters: {
          type: 'object',
          properties: { path: { type: 'string' } },
          required: ['path'],
        },
      },
    ];
    /** Two turns, each one read_file call, answered with a short and a long result. */
    const twoTurns = (ids: [string, string]): ChatMessage[] => [
      { role: 'user', content: 'Read both files.' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: ids[0], name: 'read_file', arguments: { path: 'a' } }],
      },
      { role: 'tool', toolCallId: ids[0], name: 'read_file', content: 'short' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: ids[1], name: 'read_file', arguments: { path: 'b' } }],
      },
      { role: 'tool', toolCallId: ids[1], name: 'read_file', content: 'long '.repeat(60) },
    ];
    const tinyCatalog = (contextSize: number) =>
      parseModelCatalog(
        JSON.stringify({
          models: {
            tiny: {
              provider: 'llama-cpp',
              model: gguf.path,
              contextSize,
              maxOutputTokens: 16,
              threads: 1,
            },
          },
        }),
        {},
      );

    it('shows each earlier call its own result: ids repeated across turns (call_0, as before) showed every call the latest one', async () => {
      const manager = new ModelManager({ catalog: tinyCatalog(2048) });
      try {
        const provider = (await manager.provider('tiny')) as LlamaCppProvider;
        const ask = (messages: ChatMessage[]) =>
          provider.complete({ messages, tools, maxTokens: 1, temperature: 0 });
        const unique = await ask(twoTurns(['call_5f0c1d2e3a4b', 'call_9a8b7c6d5e4f']));
        const repeated = await ask(twoTurns(['call_0', 'call_0']));
        // With the repeated id, the first call was shown the 300-character result of the second as well.
        expect(repeated.usage.inputTokens - unique.usage.inputTokens).toBeGreaterThan(250);
        expect(await provider.countTokens('long '.repeat(60))).toBeGreaterThan(250);
      } finally {
        await manager.close();
      }
    });

    it('refuses a history longer than the context instead of silently dropping its start; the session condenses it', async () => {
      const manager = new ModelManager({ catalog: tinyCatalog(512) });
      try {
        const history: ChatMessage[] = [
          { role: 'system', content: 'You are the developer.' },
          { role: 'user', content: 'Implement multiply.' },
        ];
        for (let i = 0; i < 6; i += 1) {
          history.push(
            {
              role: 'assistant',
              content: '',
              toolCalls: [{ id: `c${i}`, name: 'read_file', arguments: { path: `f${i}` } }],
            },
            { role: 'tool', toolCallId: `c${i}`, name: 'read_file', content: `${i}`.repeat(200) },
          );
        }
        const provider = (await manager.provider('tiny')) as LlamaCppProvider;
        expect(await provider.countTokens(history.map((m) => m.content).join(''))).toBeGreaterThan(
          1_000,
        );
        await expect(provider.complete({ messages: history, maxTokens: 8 })).rejects.toBeInstanceOf(
          ContextLengthExceededError,
        );
        const session = manager.forTicket({
          policy: RepoPolicy.parse({ models: { developer: { alias: 'tiny' } } }),
        });
        const { response } = await session.complete('developer', {
          messages: history,
          temperature: 0,
        });
        expect(response.usage.inputTokens).toBeGreaterThan(0);
        expect(response.usage.inputTokens + 16).toBeLessThanOrEqual(512);
        expect(session.contextStats().condensed).toBeGreaterThan(0);
      } finally {
        await manager.close();
      }
    });
  });
});
