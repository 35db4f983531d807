/**
 * Scripted misbehaviour, through the engine API with the real Docker sandbox (one container for the file),
 * git, PGlite and the ModelManager with the scripted provider. Each test has its own repository, database
 * and job id; the scripts are in test/fixtures/engine/.
 */
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RepoPolicy } from '../../src/config/repo-policy.js';
import { runs, tickets } from '../../src/db/schema.js';
import {
  eventsOf,
  prepareRun,
  startSharedSandbox,
  type EngineRun,
  type SharedSandbox,
} from './engine-harness.js';
import { branchLog } from './local-repo.js';

let shared: SharedSandbox;
let run: EngineRun | undefined;

beforeAll(async () => {
  shared = await startSharedSandbox();
}, 60_000);

afterAll(async () => {
  await shared.close();
});

afterEach(async () => {
  await run?.close();
  run = undefined;
});

const MULTIPLY = 'tandem/8-multiply';
const ONE_CYCLE = [
  'test(#8): multiply returns the product|tester|red|1',
  'feat(#8): add multiply|developer|green|1',
];

/** The first user prompt of each request (role, step) the scripted provider received, in order. */
async function prompts(r: EngineRun): Promise<{ role: string; step: string; last: string }[]> {
  const provider = await r.scripted();
  return provider.received.map((q) => ({
    role: q.role ?? '',
    step: q.step ?? '',
    last: q.messages.at(-1)?.content ?? '',
  }));
}

async function show(repo: string, rev: string): Promise<string> {
  return (await execa('git', ['-C', repo, 'show', rev])).stdout;
}

describe('pair engine misbehaviour (real sandbox, git, PGlite, scripted ModelManager)', () => {
  it('reverts a developer change to a test file, fails the attempt and tells the agent', async () => {
    run = await prepareRun(shared, {
      script: 'developer-edits-test.yaml',
      ticket: 'ticket-multiply.yaml',
    });
    const record = await run.run();
    expect(record.status).toBe('done');
    expect(await branchLog(run.repo, MULTIPLY)).toEqual(ONE_CYCLE);
    // The committed test is the tester's, not the rewritten one; calc.py has no tampering left.
    expect(await show(run.repo, `${MULTIPLY}:tests/test_multiply.py`)).toContain(
      'calc.multiply(3, 4) == 12',
    );
    expect(await show(run.repo, `${MULTIPLY}:calc.py`)).not.toContain('pathlib');

    const received = await prompts(run);
    // The write_file tool refused the direct edit (normalised path) and said why.
    const refusal = received.find((p) => p.last.includes('"type":"forbidden"'));
    expect(refusal?.last).toContain('tests/test_multiply.py is a test file');
    // The rewrite made by the code while the suite ran was reverted and reported in the next prompt.
    const log = await eventsOf(run);
    expect(log.filter((e) => e.kind === 'pair.boundary_violation').map((e) => e.data)).toEqual([
      expect.objectContaining({
        role: 'developer',
        paths: ['tests/test_multiply.py'],
        during: 'test_run',
      }),
    ]);
    const greenStarts = received.filter((p) => p.step === 'green-1' && p.last.startsWith('Ticket'));
    expect(greenStarts).toHaveLength(2);
    expect(greenStarts[1]!.last).toContain(
      'Reverted your changes to test files (made by your code while the tests ran) (tests/test_multiply.py)',
    );
    expect(record.cycles[0]!.attempts).toEqual({ red: 1, green: 2 });
    expect((await run.scripted()).pending).toBe(0);
  }, 120_000);

  it('sends a test that passes at once back to the tester', async () => {
    run = await prepareRun(shared, {
      script: 'tester-weak-test.yaml',
      ticket: 'ticket-multiply.yaml',
    });
    const record = await run.run();
    expect(record.status).toBe('done');
    expect(await branchLog(run.repo, MULTIPLY)).toEqual(ONE_CYCLE);
    const failed = (await eventsOf(run)).filter((e) => e.kind === 'pair.attempt_failed');
    expect(failed.map((e) => e.data)).toEqual([
      expect.objectContaining({ role: 'tester', phase: 'red', attempts: 1 }),
    ]);
    expect(String(failed[0]!.data.what)).toContain('the new test passes already');
    const redStarts = (await prompts(run)).filter(
      (p) => p.step === 'red-1' && p.last.startsWith('Ticket'),
    );
    expect(redStarts[1]!.last).toContain('the new test passes already');
    // The weak test never reached the branch.
    expect(await show(run.repo, `${MULTIPLY}~1:tests/test_multiply.py`)).toContain('calc.multiply');
    expect(record.cycles[0]!.red!.failing).toEqual(['tests.test_multiply::test_multiply']);
  }, 120_000);

  it('repairs invalid JSON answers by showing the model the error', async () => {
    run = await prepareRun(shared, { script: 'invalid-json.yaml', ticket: 'ticket-multiply.yaml' });
    const record = await run.run();
    expect(record.status).toBe('done');
    expect(await branchLog(run.repo, MULTIPLY)).toEqual(ONE_CYCLE);
    const repairs = (await eventsOf(run)).filter((e) => e.kind === 'agent.repair');
    expect(repairs.map((e) => e.data.role)).toEqual(['tester', 'developer']);
    expect(String(repairs[0]!.data.error)).toContain('not valid JSON');
    expect(String(repairs[1]!.data.error)).toContain('refactor');
    const asked = (await prompts(run)).filter((p) =>
      p.last.startsWith('Your answer was not valid'),
    );
    expect(asked.map((p) => p.role)).toEqual(['tester', 'developer']);
    expect((await run.scripted()).pending).toBe(0);
  }, 120_000);

  it('sends a test that does not compile back to the tester', async () => {
    run = await prepareRun(shared, { script: 'broken-test.yaml', ticket: 'ticket-multiply.yaml' });
    const record = await run.run();
    expect(record.status).toBe('done');
    expect(await branchLog(run.repo, MULTIPLY)).toEqual(ONE_CYCLE);
    const log = await eventsOf(run);
    expect(log.filter((e) => e.kind === 'pair.test_run').map((e) => e.data.status)).toEqual([
      'passed', // baseline
      'broken', // the test with a syntax error
      'failed', // the fixed test: red
      'passed', // green
      'passed', // final
    ]);
    const redStarts = (await prompts(run)).filter(
      (p) => p.step === 'red-1' && p.last.startsWith('Ticket'),
    );
    expect(redStarts[1]!.last).toContain('the new test does not compile or collect');
    expect(redStarts[1]!.last).toContain('SyntaxError');
  }, 120_000);

  it('blocks when the token budget runs out, with a diagnosis and the work kept on the branch', async () => {
    run = await prepareRun(shared, {
      script: 'budget.yaml',
      policy: (p) => ({ ...p, budgets: { ...p.budgets, tokens: 9_000 } }),
    });
    const record = await run.run();
    expect(record.status).toBe('blocked');
    const branch = 'tandem/7-multiply-and-subtract';
    expect(await branchLog(run.repo, branch)).toEqual([
      'test(#7): multiply returns the product|tester|red|1',
      'feat(#7): add multiply|developer|green|1',
      'test(#7): subtract returns the difference|tester|red|2',
    ]);
    expect(record.diagnosis).toMatchObject({
      reason: 'budget_tokens',
      phase: 'green',
      cycle: 2,
      criterion: 'subtract(a, b) returns a minus b',
    });
    expect(record.diagnosis!.whatFailed).toContain('used 9000 of 9000');
    expect(record.diagnosis!.tried).toEqual([
      expect.stringMatching(
        /^green cycle 2 attempt 1 \(script\): the suite is failed after the change/,
      ),
    ]);
    expect(record.diagnosis!.lastTestOutput).toContain('test_subtract');
    expect(record.diagnosis!.lastTestOutput).toMatch(/assert (-6|6) == 6|AssertionError/);
    const [row] = await run.db.db.select().from(runs);
    expect(row).toMatchObject({ status: 'blocked', phase: 'blocked' });
    expect(row!.diagnosis).toMatchObject({ reason: 'budget_tokens' });
    const [ticket] = await run.db.db.select().from(tickets);
    expect(ticket).toMatchObject({ state: 'blocked', branch });
    expect(run.models.usage().inputTokens + run.models.usage().outputTokens).toBe(9_000);
  }, 120_000);

  it('ends an attempt when the agent repeats the same tool call', async () => {
    run = await prepareRun(shared, { script: 'tool-loop.yaml', ticket: 'ticket-multiply.yaml' });
    const record = await run.run();
    expect(record.status).toBe('done');
    expect(await branchLog(run.repo, MULTIPLY)).toEqual(ONE_CYCLE);
    const log = await eventsOf(run);
    expect(log.filter((e) => e.kind === 'agent.tool_call' && e.data.loop === true)).toHaveLength(1);
    expect(log.find((e) => e.kind === 'pair.attempt_failed')?.data.what).toBe(
      'the model repeated the same read_file call 3 times in a row; phase ended',
    );
    // One read ran; the second identical call was answered with a note, the third ended the attempt.
    expect(
      log.filter((e) => e.kind === 'agent.tool_call' && e.data.tool === 'read_file' && e.data.ok),
    ).toHaveLength(1);
    expect(record.cycles[0]!.attempts).toEqual({ red: 2, green: 1 });
  }, 120_000);

  it('commits a passing test without a green step when the tester says the criterion is met', async () => {
    run = await prepareRun(shared, {
      script: 'already-met.yaml',
      ticket: 'ticket-already-met.yaml',
    });
    const record = await run.run();
    expect(record.status).toBe('done');
    expect(await branchLog(run.repo, 'tandem/10-add')).toEqual([
      'test(#10): add returns the sum (already met)|tester|red|1',
    ]);
    expect(record.cycles).toEqual([
      expect.objectContaining({ cycle: 1, alreadyMet: true, red: expect.anything() }),
    ]);
    expect(record.cycles[0]!.green).toBeUndefined();
    expect(record.criteria).toEqual([
      expect.objectContaining({ status: 'met', tests: ['test_add_more'], passing: true }),
    ]);
    expect((await prompts(run)).map((p) => p.role)).not.toContain('developer');
  }, 120_000);

  const escalating = (chain: string[]) => (p: RepoPolicy) => ({
    ...p,
    models: { ...p.models, developer: { alias: 'script', escalation: chain } },
    budgets: { ...p.budgets, attemptsPerPhase: 2 },
  });

  it('escalates a developer that keeps failing to the next alias of its chain', async () => {
    run = await prepareRun(shared, {
      script: 'escalation.yaml',
      ticket: 'ticket-multiply.yaml',
      policy: escalating(['script-strong']),
    });
    const record = await run.run();
    expect(record.status).toBe('done');
    const models = await execa('git', [
      '-C',
      run.repo,
      'log',
      '--reverse',
      '--format=%s|%(trailers:key=Tandem-Model,valueonly,separator=)',
      `main..${MULTIPLY}`,
    ]);
    expect(models.stdout.split('\n')).toEqual([
      'test(#8): multiply returns the product|script',
      'feat(#8): add multiply|script-strong',
    ]);
    const log = await eventsOf(run);
    expect(log.filter((e) => e.kind === 'pair.attempt_failed')).toHaveLength(2);
    expect(log.filter((e) => e.kind === 'pair.escalated').map((e) => e.data)).toEqual([
      expect.objectContaining({ role: 'developer', to: 'script-strong' }),
    ]);
    expect(Object.keys(record.usage).sort()).toEqual(['developer', 'tester']);
  }, 120_000);

  it('blocks with a diagnosis when the escalation chain is exhausted, keeping the red commit', async () => {
    run = await prepareRun(shared, {
      script: 'escalation.yaml',
      ticket: 'ticket-multiply.yaml',
      policy: escalating([]),
    });
    const record = await run.run();
    expect(record.status).toBe('blocked');
    expect(await branchLog(run.repo, MULTIPLY)).toEqual(ONE_CYCLE.slice(0, 1));
    expect(record.diagnosis).toMatchObject({
      reason: 'escalation_exhausted',
      phase: 'green',
      cycle: 1,
      criterion: 'multiply(a, b) returns the product of a and b',
      whatFailed: 'the suite is failed after the change',
    });
    expect(record.diagnosis!.tried).toEqual([
      'green cycle 1 attempt 1 (script): the suite is failed after the change',
      'green cycle 1 attempt 2 (script): the suite is failed after the change',
    ]);
    expect(record.diagnosis!.lastTestOutput).toContain('assert 7 == 12');
    // The work tree is left as the last attempt made it; the branch holds only committed work.
    expect(record.headCommit).toBe(record.commits[0]!.sha);
  }, 120_000);
});
