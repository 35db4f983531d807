import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ModelRequest, ModelResponse, ToolCall } from '../llm/types.js';
import type { AgentModels, ModelUsage } from './agent-models.js';
import { runAgent, type AgentStepEvent } from './agent-loop.js';
import type { ToolContext } from './agent-tools.js';

const Result = z.object({ summary: z.string().min(1) });

/** An in-test fake of the engine's model port: answers from a list, keeps every request. */
function fakeModels(answers: Partial<ModelResponse>[]): AgentModels & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  const usage: ModelUsage = {
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    latencyMs: 0,
    byRole: {},
  };
  return {
    requests,
    alias: () => 'fake',
    complete(_role, request) {
      requests.push(request);
      const answer = answers.shift();
      if (!answer) {
        return Promise.reject(new Error('fake model: no answer left'));
      }
      return Promise.resolve({
        text: '',
        toolCalls: [],
        reasoning: '',
        usage: { inputTokens: 1, outputTokens: 1 },
        latencyMs: 1,
        ...answer,
      });
    },
    escalate: () => null,
    usage: () => usage,
    restoreUsage: () => undefined,
  };
}

const tools = (reads: string[] = []): ToolContext => ({
  role: 'developer',
  testGlobs: ['tests/**'],
  files: {
    readFile: (path) => {
      reads.push(path);
      return Promise.resolve(`content of ${path}`);
    },
    writeFile: () => Promise.resolve(),
  },
  listFiles: () => Promise.resolve(['a.py', 'b.py']),
  grep: () => Promise.resolve([]),
  repoMap: () => Promise.resolve(''),
  runTests: () => Promise.reject(new Error('not in this test')),
});

const tool = (name: string, args: Record<string, unknown> = {}, id = name): ToolCall => ({
  id,
  name,
  arguments: args,
});

const options = (models: AgentModels, extra: { maxSteps?: number; loopLimit?: number } = {}) => ({
  models,
  role: 'developer' as const,
  step: 'green-1',
  system: 'system',
  user: 'task',
  tools: tools(),
  resultSchema: Result,
  maxSteps: extra.maxSteps ?? 10,
  loopLimit: extra.loopLimit ?? 3,
});

describe('runAgent', () => {
  it('runs tools, sends their results back and ends with the finish tool', async () => {
    const reads: string[] = [];
    const models = fakeModels([
      { toolCalls: [tool('read_file', { path: 'a.py' })] },
      { toolCalls: [tool('finish', { summary: 'done' })] },
    ]);
    const outcome = await runAgent({ ...options(models), tools: tools(reads) });
    expect(outcome).toEqual({ kind: 'result', result: { summary: 'done' }, steps: 2 });
    expect(reads).toEqual(['a.py']);
    expect(models.requests[1]!.messages.at(-1)).toEqual({
      role: 'tool',
      toolCallId: 'read_file',
      name: 'read_file',
      content: JSON.stringify({
        ok: true,
        path: 'a.py',
        total_lines: 1,
        shown: '1-1',
        content: '   1\tcontent of a.py',
      }),
    });
    // Each request is a snapshot: the first one still ends with the task.
    expect(models.requests[0]!.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(models.requests[0]!.step).toBe('green-1');
    expect(models.requests[0]!.tools!.map((t) => t.name)).toContain('finish');
  });

  it('accepts a JSON answer and repairs an invalid one or an invalid finish', async () => {
    const events: AgentStepEvent[] = [];
    const models = fakeModels([
      { text: 'I am done {"summary": ' },
      { toolCalls: [tool('finish', { summary: '' })] },
      { text: '```json\n{"summary": "fixed"}\n```' },
    ]);
    const outcome = await runAgent({ ...options(models), onEvent: (e) => void events.push(e) });
    expect(outcome).toEqual({ kind: 'result', result: { summary: 'fixed' }, steps: 3 });
    expect(models.requests[1]!.messages.at(-1)!.content).toMatch(
      /^Your answer was not valid: not valid JSON/,
    );
    expect(JSON.parse(models.requests[2]!.messages.at(-1)!.content)).toMatchObject({
      ok: false,
      error: { type: 'invalid_result' },
    });
    expect(events.filter((e) => e.kind === 'agent.repair')).toHaveLength(2);
  });

  it('ends the attempt when the same call repeats loopLimit times in a row', async () => {
    const reads: string[] = [];
    const same = { toolCalls: [tool('read_file', { path: 'a.py' })] };
    const models = fakeModels([same, same, same, same]);
    const outcome = await runAgent({ ...options(models, { loopLimit: 3 }), tools: tools(reads) });
    expect(outcome).toEqual({ kind: 'loop', call: 'read_file', steps: 3 });
    expect(reads).toEqual(['a.py', 'a.py']);
  });

  it('does not count calls with other arguments, or interleaved calls, as a loop', async () => {
    const read = (path: string) => ({ toolCalls: [tool('read_file', { path })] });
    const models = fakeModels([
      read('a.py'),
      read('a.py'),
      read('b.py'),
      read('a.py'),
      read('a.py'),
      { toolCalls: [tool('finish', { summary: 'ok' })] },
    ]);
    expect(await runAgent(options(models, { loopLimit: 3 }))).toMatchObject({ kind: 'result' });
  });

  it('stops at the step limit', async () => {
    const models = fakeModels(
      Array.from({ length: 10 }, (_, i) => ({
        toolCalls: [tool('read_file', { path: `${i}.py` })],
      })),
    );
    expect(await runAgent(options(models, { maxSteps: 4 }))).toEqual({
      kind: 'step_limit',
      steps: 4,
    });
    expect(models.requests).toHaveLength(4);
  });

  it('lets model errors propagate', async () => {
    await expect(runAgent(options(fakeModels([])))).rejects.toThrow('fake model: no answer left');
  });
});
