/**
 * Model-behaviour suite: the real agent loop and tools (a Docker sandbox, a git workspace of the calc
 * fixture) and the real ModelManager with the OpenAI-compatible and Ollama providers, driven by a model
 * stand-in (nock) that answers the way open models really do: tool calls written as text in every dialect,
 * reasoning blocks, arguments as strings, answers cut off at the output limit, unknown tools, repeated
 * calls, prose, conversations larger than the context, and HTTP 400 for context length. Every case ends
 * with the phase's result, or with an outcome whose reason names the cause; two cases run whole pair
 * runs (done, and blocked with that reason).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeOutcome } from '../../src/agents/agent-loop.js';
import { toolDefinitions } from '../../src/agents/agent-tools.js';
import { RedResult } from '../../src/agents/pair-steps.js';
import { TESTER_SYSTEM } from '../../src/agents/prompts.js';
import { sessionModels } from '../../src/agents/session-models.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { createLogger } from '../../src/log/logger.js';
import {
  prepareRun,
  startSharedSandbox,
  type EngineRun,
  type SharedSandbox,
} from '../engine/engine-harness.js';
import { branchLog } from '../engine/local-repo.js';
import { useHttpMock } from '../http-mock.js';
import type { JsonBody } from '../llm/nock-helpers.js';
import {
  behaviourCatalog,
  lastUserText,
  modelServer,
  prepareWorkspace,
  runPhase,
  type BehaviourRun,
  type Reply,
} from './behaviour-harness.js';
import { DIALECTS, type Call } from './dialects.js';

const TEST_FILE = 'tests/test_multiply.py';
const TEST_CONTENT =
  'import calc\n\n\ndef test_multiply():\n    assert calc.multiply(3, 4) == 12\n';
const TASK =
  'Ticket #8: Multiply\nAcceptance criteria:\n1. [ ] multiply(a, b) returns the product of a and b\n\nTask (cycle 1): write the smallest failing test for criterion 1.';
const read = (path: string): Call => ({ name: 'read_file', arguments: { path } });
const write = (content = TEST_CONTENT): Call => ({
  name: 'write_file',
  arguments: { path: TEST_FILE, content },
});
const finish: Call = {
  name: 'finish',
  arguments: { tests: ['test_multiply'], summary: 'multiply returns the product' },
};
/** The tester's good steps: read the code, write the test, see it fail, finish. */
const TESTER_STEPS: Call[] = [
  read('calc.py'),
  write(),
  { name: 'run_tests', arguments: {} },
  finish,
];

/** A stand-in answering step `n` with `steps[n]` written by `render` (text). */
const scripted =
  (render: (calls: readonly Call[]) => string, steps: readonly Call[]) =>
  (_body: JsonBody, n: number): Reply =>
    n < steps.length ? { content: render([steps[n]!]) } : { content: 'I am done.' };

const tester = (run: BehaviourRun, extra: Partial<Parameters<typeof runPhase>[0]> = {}) =>
  runPhase({
    run,
    role: 'tester',
    alias: 'model',
    system: TESTER_SYSTEM,
    task: TASK,
    resultSchema: RedResult,
    ...extra,
  });

/** The tester's tool names as the agent loop lists them to the model. */
const toolNames = (): string =>
  toolDefinitions('tester', {})
    .map((t) => t.name)
    .join(', ');

describe('model behaviour', () => {
  let shared: SharedSandbox;
  /** The workspace or engine run of the current test, closed after it. */
  let current: { close(): Promise<void> } | undefined;
  useHttpMock();

  beforeAll(async () => {
    shared = await startSharedSandbox();
  }, 120_000);
  afterAll(async () => {
    await shared?.close();
  });
  afterEach(async () => {
    nock.cleanAll();
    await current?.close();
    current = undefined;
  });

  describe('the real agent loop and tools against answers of open models', () => {
    let run: BehaviourRun;
    beforeEach(async () => {
      run = await prepareWorkspace(shared);
      current = run;
    });

    describe('tool calls written as text, in every dialect', () => {
      it.each(Object.keys(DIALECTS))(
        '%s: reads, writes the test, runs the suite (red) and finishes',
        async (name) => {
          const log = modelServer({
            contextSize: 8192,
            answer: scripted(DIALECTS[name]!, TESTER_STEPS),
          });
          const { outcome } = await tester(run);
          expect(outcome).toEqual({
            kind: 'result',
            steps: 4,
            result: { tests: ['test_multiply'], summary: 'multiply returns the product' },
          });
          expect(await run.read(TEST_FILE)).toBe(TEST_CONTENT);
          // The suite really ran in the sandbox and failed: multiply does not exist yet.
          expect(lastUserText(log.bodies[3]!)).toMatch(/"status":"failed"/);
          // Native first; the text calls switched the alias to the text protocol.
          expect(
            log.bodies[0]!.tools.map((t: { function: { name: string } }) => t.function.name),
          ).toEqual(toolDefinitions('tester', {}).map((t) => t.name));
          expect(log.bodies[1]!.tools).toBeUndefined();
          expect(String(log.bodies[1]!.messages[0].content)).toContain('<tools>');
        },
        60_000,
      );

      it('native tool calls (the server parsed them) work the same way', async () => {
        const log = modelServer({
          contextSize: 8192,
          answer: (_b, n) => ({ calls: [TESTER_STEPS[n]!] }),
        });
        const { outcome } = await tester(run);
        expect(outcome.kind).toBe('result');
        expect(await run.read(TEST_FILE)).toBe(TEST_CONTENT);
        expect(log.bodies.every((b) => Array.isArray(b.tools))).toBe(true);
        // Every call got its own id although the server numbers them call_0 on every turn.
        const ids = (log.bodies[3]!.messages as JsonBody[])
          .filter((m) => m.role === 'tool')
          .map((m) => String(m.tool_call_id));
        expect(new Set(ids).size).toBe(3);
      }, 60_000);

      it('Qwen2.5-Coder through Ollama: bare JSON objects in the content', async () => {
        const log = modelServer({
          api: 'ollama',
          contextSize: 8192,
          answer: scripted(
            (calls) =>
              calls.map((c) => JSON.stringify({ name: c.name, arguments: c.arguments })).join('\n'),
            TESTER_STEPS,
          ),
        });
        const { outcome } = await tester(run, { alias: 'ollama' });
        expect(outcome.kind).toBe('result');
        expect(await run.read(TEST_FILE)).toBe(TEST_CONTENT);
        expect(log.bodies.every((b) => b.options.num_ctx === 8192)).toBe(true);
      }, 60_000);

      it('<think> blocks are kept apart: a call inside the reasoning is never run; several calls in one answer are', async () => {
        let writtenEarly = false;
        const log = modelServer({
          contextSize: 8192,
          answer: (_b, n) => {
            writtenEarly ||= n === 1 && existsSync(join(shared.workTree, TEST_FILE));
            const steps = [
              `<think>Let me look first. Later: ${DIALECTS.hermes!([write('wrong')])}</think>\n${DIALECTS.hermes!([read('calc.py'), read('tests/test_add.py')])}`,
              DIALECTS.hermes!([write()]),
              `<think>The test is written.</think>${DIALECTS.hermes!([finish])}`,
            ];
            return { content: steps[n] ?? 'done' };
          },
        });
        const { outcome } = await tester(run);
        expect(outcome.kind).toBe('result');
        expect(writtenEarly).toBe(false);
        expect(await run.read(TEST_FILE)).toBe(TEST_CONTENT);
        // Both reads of the first answer ran and were answered.
        expect(lastUserText(log.bodies[1]!).match(/<tool_response>/g)).toHaveLength(2);
      }, 60_000);
    });

    describe('answers that go wrong', () => {
      it('a write_file cut off by the output limit is not written; the model is told and writes it whole', async () => {
        let writtenAfterCut = false;
        const full = DIALECTS.hermes!([write()]);
        const log = modelServer({
          contextSize: 8192,
          answer: (_b, n) => {
            if (n === 1) {
              writtenAfterCut = existsSync(join(shared.workTree, TEST_FILE));
            }
            const steps: Reply[] = [
              { content: full.slice(0, full.indexOf('multiply(3')), finish: 'length' },
              { content: full },
              { content: DIALECTS.hermes!([finish]) },
            ];
            return steps[n] ?? { content: 'done' };
          },
        });
        const { outcome } = await tester(run);
        expect(outcome.kind).toBe('result');
        expect(writtenAfterCut).toBe(false);
        expect(lastUserText(log.bodies[1]!)).toMatch(/cut off at the output token limit/);
        expect(await run.read(TEST_FILE)).toBe(TEST_CONTENT);
      }, 60_000);

      const giveUp: [string, (n: number) => Reply, string][] = [
        [
          'answers that always overrun the output limit',
          () => ({
            content: 'Here is the whole file:\n```python\nimport calc\n\ndef test_',
            finish: 'length',
          }),
          "the model's answer was cut off at the output limit 3 times in a row",
        ],
        [
          'prose instead of tool calls',
          () => ({ content: 'I will first read calc.py, then write a test for multiply.' }),
          'the model answered in text 3 times in a row instead of calling a tool',
        ],
        [
          'a tool that does not exist',
          () => ({
            content: DIALECTS.hermes!([{ name: 'open_file', arguments: { path: 'calc.py' } }]),
          }),
          'the model called the unknown tool open_file 3 times in a row',
        ],
        [
          'the same call over and over',
          () => ({ content: DIALECTS['qwen3-coder']!([read('calc.py')]) }),
          'the model repeated the same read_file call 3 times in a row; phase ended',
        ],
      ];
      it.each(giveUp)(
        '%s: ends the attempt with a reason naming the cause',
        async (_n, answer, cause) => {
          const log = modelServer({ contextSize: 8192, answer: (_b, n) => answer(n) });
          const { outcome } = await tester(run);
          expect(describeOutcome(outcome)).toBe(cause);
          expect(log.bodies).toHaveLength(3);
          expect(await run.read(TEST_FILE)).toBeUndefined();
        },
        60_000,
      );

      it('an unknown tool gets the list of real ones, and the model recovers', async () => {
        const log = modelServer({
          contextSize: 8192,
          answer: scripted(DIALECTS.hermes!, [
            { name: 'open_file', arguments: { path: 'calc.py' } },
            ...TESTER_STEPS,
          ]),
        });
        const { outcome } = await tester(run);
        expect(outcome.kind).toBe('result');
        expect(lastUserText(log.bodies[1]!)).toContain(
          `There is no tool named \\"open_file\\". The tools are: ${toolNames()}.`,
        );
      }, 60_000);
    });

    describe('context', () => {
      /** Six notes of 100 lines, 9,000 characters each (about 2,600 tokens apiece), for the model to read. */
      async function bigNotes(workTree: string): Promise<Call[]> {
        await mkdir(join(workTree, 'docs'), { recursive: true });
        const reads: Call[] = [];
        for (let i = 1; i <= 6; i += 1) {
          await writeFile(
            join(workTree, 'docs', `n${i}.md`),
            // Lines of 90 characters: the viewer shows a window of them in full (it cuts long lines).
            Array.from({ length: 100 }, (_, l) =>
              `note ${i}.${l}: ${'word '.repeat(16)}`.padEnd(89),
            ).join('\n') + '\n',
          );
          reads.push(read(`docs/n${i}.md`));
        }
        return reads;
      }

      // 8,192 tokens: the smallest context the agents are meant for (the tool descriptions alone take
      // 1–2k tokens, depending on the tokenizer).
      it('a conversation that would overflow a 8,192-token context never sends a request above it', async () => {
        const reads = await bigNotes(shared.workTree);
        const log = modelServer({
          contextSize: 8192,
          answer: scripted(DIALECTS.hermes!, [...reads, write(), finish]),
        });
        const { outcome, session } = await tester(run, { catalogExtra: { contextSize: 8192 } });
        expect(outcome.kind).toBe('result');
        expect(await run.read(TEST_FILE)).toBe(TEST_CONTENT);
        expect(Math.max(...log.requestTokens)).toBeLessThanOrEqual(8192);
        // Without fitting, the last request would have held every note in full.
        const raw = reads.length * 9_000;
        expect(raw / 3.5).toBeGreaterThan(8192 * 1.5);
        // The task is in every request.
        expect(log.bodies.every((b) => String(b.messages[1].content).startsWith('Ticket #8'))).toBe(
          true,
        );
        expect(session.contextStats().largestPromptTokens).toBeLessThanOrEqual(8192);
        expect(session.contextStats().condensed).toBeGreaterThan(0);
      }, 90_000);

      it("a server's HTTP 400 for context length becomes a condensed retry, and the phase finishes", async () => {
        const reads = await bigNotes(shared.workTree);
        const log = modelServer({
          contextSize: 8192,
          // A tokenizer denser than Tandem's estimate: the first large request is refused.
          charsPerToken: 1.8,
          answer: scripted(DIALECTS.hermes!, [...reads, write(), finish]),
        });
        const { outcome, session } = await tester(run, { catalogExtra: { contextSize: 8192 } });
        expect(outcome.kind).toBe('result');
        expect(log.requestTokens.some((t) => t > 8192)).toBe(true);
        expect(session.contextStats().contextRetries).toBeGreaterThan(0);
        expect(await run.read(TEST_FILE)).toBe(TEST_CONTENT);
      }, 90_000);
    });
  });

  describe('whole pair runs', () => {
    let run: EngineRun;
    beforeEach(async () => {
      run = await prepareRun(shared, { script: 'one-cycle.yaml', ticket: 'ticket-multiply.yaml' });
      current = run;
    });

    /** A model session on the stand-in for the `script` alias the fixture's policy names. */
    function standInModels(engine: EngineRun) {
      const manager = new ModelManager({
        catalog: behaviourCatalog(),
        logger: createLogger({ level: 'silent' }),
        sleep: () => Promise.resolve(),
      });
      return {
        manager,
        models: sessionModels((used) =>
          manager.forTicket({ policy: engine.policy, ...(used ? { used } : {}) }),
        ),
      };
    }

    it('a model writing Qwen3-Coder calls as text takes the ticket to done', async () => {
      const impl =
        '"""A tiny calculator library: the fixture the pair engine\'s end-to-end tests work on."""\n\n\ndef add(a, b):\n    return a + b\n\n\ndef multiply(a, b):\n    return a * b\n';
      modelServer({
        contextSize: 8192,
        answer: (body) => {
          const system = String(body.messages[0].content);
          const turn = (body.messages as JsonBody[]).filter((m) => m.role === 'assistant').length;
          const steps = system.startsWith('You are the Tester')
            ? [write(), finish]
            : [
                { name: 'write_file', arguments: { path: 'calc.py', content: impl } },
                { name: 'finish', arguments: { summary: 'add multiply' } },
              ];
          return { content: DIALECTS['qwen3-coder']!([steps[turn] ?? finish]) };
        },
      });
      const { manager, models } = standInModels(run);
      try {
        const record = await run.run({ models });
        expect(record.status).toBe('done');
        expect(await branchLog(run.repo, run.branch)).toEqual([
          'test(#8): multiply returns the product|tester|red|1',
          'feat(#8): add multiply|developer|green|1',
        ]);
      } finally {
        await manager.close();
      }
    }, 180_000);

    it('a model that only answers in prose blocks the ticket with a reason that says so', async () => {
      const log = modelServer({
        contextSize: 8192,
        answer: () => ({ content: 'Sure! I will write a test for multiply next.' }),
      });
      const { manager, models } = standInModels(run);
      try {
        const record = await run.run({ models });
        expect(record.status).toBe('blocked');
        expect(record.diagnosis!.whatFailed).toBe(
          'the model answered in text 3 times in a row instead of calling a tool',
        );
        // Two attempts of three answers each (attemptsPerPhase 2, no escalation chain).
        expect(log.bodies).toHaveLength(6);
      } finally {
        await manager.close();
      }
    }, 180_000);
  });
});
