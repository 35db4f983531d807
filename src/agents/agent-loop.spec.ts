import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContextLengthExceededError } from '../errors/index.js';
import type { ModelRequest, ModelResponse, ToolCall } from '../llm/types.js';
import type { AgentModels, ModelUsage } from './agent-models.js';
import { describeOutcome, runAgent, type AgentStepEvent } from './agent-loop.js';
import { toolDefinitions, type ToolContext } from './agent-tools.js';

/** The developer's tool names as the loop lists them to the model. */
const TOOL_NAMES = toolDefinitions('developer', {})
  .map((t) => t.name)
  .join(', ');

const Result = z.object({ summary: z.string().min(1) });

/** An in-test fake of the engine's model port: answers from a list, keeps every request. */
function fakeModels(
  answers: (Partial<ModelResponse> | Error)[],
): AgentModels & { requests: ModelRequest[] } {
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
      if (answer instanceof Error) {
        return Promise.reject(answer);
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

const options = (
  models: AgentModels,
  extra: { maxSteps?: number; loopLimit?: number; patience?: number } = {},
) => ({
  models,
  role: 'developer' as const,
  step: 'green-1',
  system: 'system',
  user: 'task',
  tools: tools(),
  resultSchema: Result,
  maxSteps: extra.maxSteps ?? 10,
  loopLimit: extra.loopLimit ?? 3,
  ...(extra.patience === undefined ? {} : { patience: extra.patience }),
});

/** The content of the last message of the `i`-th request. */
const lastOf = (models: { requests: ModelRequest[] }, i: number) =>
  models.requests[i]!.messages.at(-1)!.content;

describe('runAgent', () => {
  it('runs tools, sends their results back and ends with the finish tool', async () => {
    const reads: string[] = [];
    const models = fakeModels([
      { toolCalls: [tool('read_file', { path: 'a.py' })] },
      { toolCalls: [tool('finish', { summary: 'done' })] },
    ]);
    const outcome = await runAgent({ ...options(models), tools: tools(reads), temperature: 0.7 });
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
    expect(models.requests[0]).toMatchObject({
      step: 'green-1',
      keepToolResults: 5,
      temperature: 0.7,
    });
    expect(models.requests[0]!.tools!.map((t) => t.name)).toContain('finish');
  });

  it('accepts a JSON answer and corrects an invalid one or an invalid finish', async () => {
    const events: AgentStepEvent[] = [];
    const models = fakeModels([
      { text: 'I am done {"summary": ' },
      { toolCalls: [tool('finish', { summary: '' })] },
      { text: '```json\n{"summary": "fixed"}\n```' },
    ]);
    const outcome = await runAgent({ ...options(models), onEvent: (e) => void events.push(e) });
    expect(outcome).toEqual({ kind: 'result', result: { summary: 'fixed' }, steps: 3 });
    expect(lastOf(models, 1)).toMatch(
      /^Your answer was not valid: your finish result does not match its schema\.\nnot valid JSON/,
    );
    expect(JSON.parse(lastOf(models, 2))).toMatchObject({
      ok: false,
      error: { type: 'invalid_result', message: expect.stringContaining('summary') },
    });
    expect(events.filter((e) => e.kind === 'agent.repair').map((e) => e.data.problem)).toEqual([
      'invalid_finish',
      'invalid_finish',
    ]);
  });

  it('tells a model that answers in text to call a tool, naming the tools, and gives up after three in a row', async () => {
    const prose = { text: 'I would first read calc.py and then add multiply.' };
    const code = { text: 'Add this:\n```js\nfunction multiply(a, b) { return a * b; }\n```' };
    const models = fakeModels([prose, code, prose]);
    const outcome = await runAgent(options(models));
    expect(outcome).toMatchObject({ kind: 'gave_up', problem: 'text_answer', count: 3, steps: 3 });
    expect(describeOutcome(outcome)).toBe(
      'the model answered in text 3 times in a row instead of calling a tool',
    );
    expect(lastOf(models, 1)).toContain('You answered in text, but this step needs a tool call');
    expect(lastOf(models, 1)).toContain(TOOL_NAMES);
    expect(models.requests[1]!.messages.at(-2)).toEqual({ role: 'assistant', content: prose.text });
  });

  it('answers an unknown tool with the list of real ones and names it in the cause', async () => {
    const wrong = { toolCalls: [tool('open_file', { path: 'a.py' })] };
    const models = fakeModels([wrong, wrong, wrong]);
    const outcome = await runAgent({ ...options(models), loopLimit: 10 });
    expect(JSON.parse(lastOf(models, 1))).toEqual({
      ok: false,
      error: {
        type: 'unknown_tool',
        message: `There is no tool named "open_file". The tools are: ${TOOL_NAMES}.`,
      },
    });
    expect(describeOutcome(outcome)).toBe(
      'the model called the unknown tool open_file 3 times in a row',
    );
  });

  it('answers arguments that do not match the schema with the validation issue', async () => {
    const models = fakeModels([
      { toolCalls: [tool('read_file', { file: 'a.py' })] },
      { toolCalls: [tool('read_file', { path: 'a.py' })] },
      { toolCalls: [tool('finish', { summary: 'ok' })] },
    ]);
    expect(await runAgent(options(models))).toMatchObject({ kind: 'result' });
    const error = JSON.parse(lastOf(models, 1)) as { error: { type: string; message: string } };
    expect(error.error.type).toBe('invalid_arguments');
    expect(error.error.message).toMatch(/path/);
  });

  it('runs nothing of a call cut off at the output limit, says so, and names it in the cause', async () => {
    const cut = {
      text: 'Writing the file.',
      truncated: true,
      toolCallProblems: [
        {
          kind: 'truncated' as const,
          dialect: 'hermes' as const,
          message: 'the <tool_call> block ends before its JSON is complete: the answer was cut off',
          excerpt: '{"name": "write_file", "arguments": {"path": "calc.py", "content": "def',
        },
      ],
    };
    const models = fakeModels([cut, { text: 'still', truncated: true }, cut]);
    const outcome = await runAgent(options(models));
    expect(lastOf(models, 1)).toMatch(/^Your answer was cut off at the output token limit/);
    expect(lastOf(models, 1)).toContain('change one part of a file at a time');
    expect(outcome).toMatchObject({ kind: 'gave_up', problem: 'truncated' });
    expect(describeOutcome(outcome)).toBe(
      "the model's answer was cut off at the output limit 3 times in a row",
    );
  });

  it('shows a call that could not be read, runs the readable ones beside it', async () => {
    const reads: string[] = [];
    const models = fakeModels([
      {
        toolCalls: [tool('read_file', { path: 'a.py' })],
        toolCallProblems: [
          {
            kind: 'invalid_json',
            dialect: 'mistral',
            message: 'the arguments of read_file are not a JSON object',
            excerpt: 'read_file[ARGS]"b.py"',
          },
        ],
      },
      { toolCalls: [tool('finish', { summary: 'ok' })] },
    ]);
    expect(await runAgent({ ...options(models), tools: tools(reads) })).toMatchObject({
      kind: 'result',
    });
    expect(reads).toEqual(['a.py']);
    expect(lastOf(models, 1)).toContain(
      'These tool calls could not be read and were not run:\n- the arguments of read_file are not a JSON object: read_file[ARGS]"b.py"',
    );
  });

  it('answers a repeated call with a note instead of running it, and ends the attempt at loopLimit', async () => {
    const reads: string[] = [];
    const same = { toolCalls: [tool('read_file', { path: 'a.py' })] };
    const models = fakeModels([same, same, same, same]);
    const outcome = await runAgent({ ...options(models, { loopLimit: 3 }), tools: tools(reads) });
    expect(outcome).toEqual({ kind: 'loop', call: 'read_file', repeats: 3, steps: 3 });
    expect(describeOutcome(outcome)).toBe(
      'the model repeated the same read_file call 3 times in a row; phase ended',
    );
    expect(reads).toEqual(['a.py']);
    expect(JSON.parse(lastOf(models, 2))).toMatchObject({
      ok: false,
      error: { type: 'repeated_call' },
    });
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

  it('stops at the step limit, naming a problem of half the answers', async () => {
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
    const mixed = fakeModels([
      { text: 'thinking aloud' },
      { toolCalls: [tool('read_file', { path: 'a.py' })] },
      { text: 'more prose' },
      { toolCalls: [tool('read_file', { path: 'b.py' })] },
    ]);
    const outcome = await runAgent(options(mixed, { maxSteps: 4 }));
    expect(describeOutcome(outcome)).toBe(
      'the model answered in text 2 of 4 times instead of calling a tool; no result within 4 steps',
    );
  });

  it('ends the attempt when the conversation cannot be fitted into the context', async () => {
    const models = fakeModels([
      { toolCalls: [tool('read_file', { path: 'a.py' })] },
      new ContextLengthExceededError(
        'fake',
        'the conversation does not fit the context of 4096 tokens even condensed',
      ),
    ]);
    const outcome = await runAgent(options(models));
    expect(outcome).toMatchObject({ kind: 'context_overflow', steps: 2 });
    expect(describeOutcome(outcome)).toBe(
      "the conversation no longer fits the model's context window: model alias fake: the conversation does not fit the context of 4096 tokens even condensed",
    );
  });

  it('lets other model errors propagate', async () => {
    await expect(runAgent(options(fakeModels([])))).rejects.toThrow('fake model: no answer left');
  });
});
