/**
 * The protocol with fakes (test/engine/fake-pair.ts): an in-memory workspace and sandbox running a tiny
 * pytest-like suite, and scripted models. Fast checks of the phase logic; what depends on real runners,
 * git and Docker is in test/engine/.
 */
import { describe, expect, it } from 'vitest';
import { Checkpoint } from '../checkpoint.js';
import {
  CALC,
  CALC_MUL,
  TEST_MUL,
  calcPairs,
  eventsOfKind,
  finish,
  miniSuite,
  write,
  type FakeAnswer,
} from '../../../test/engine/fake-pair.js';
import { runPair } from './run-pair.js';

/** A one-criterion ticket done in one red/green cycle. */
const ONE_CYCLE: FakeAnswer[] = [
  { role: 'tester', step: 'red-1', ...write('tests/test_mul.t', TEST_MUL) },
  { role: 'tester', step: 'red-1', ...finish({ tests: ['test_mul'], summary: 'mul multiplies' }) },
  { role: 'developer', step: 'green-1', ...write('calc.py', CALC_MUL) },
  { role: 'developer', step: 'green-1', ...finish({ summary: 'add mul' }) },
];

const setUp = calcPairs();

const kinds = eventsOfKind;

describe('runPair with fakes', () => {
  it('works a criterion red → green → final and pushes every commit before the next', async () => {
    const p = await setUp(ONE_CYCLE);
    p.workspace.pushDelayMs = 20;
    const record = await runPair(p.options);
    expect(record.status).toBe('done');
    expect(p.workspace.commits.map((c) => [c.subject, c.trailers?.['Tandem-Phase']])).toEqual([
      ['base', undefined],
      ['test(#1): mul multiplies', 'red'],
      ['feat(#1): add mul', 'green'],
    ]);
    // Each commit was pushed before the next one was made; the end pushes the branch once more.
    expect(p.workspace.pushed).toEqual(['c1', 'c2', 'c2']);
    expect(kinds(p, 'pair.test_run').map((d) => d.status)).toEqual([
      'passed', // baseline
      'failed', // red
      'passed', // green
      'passed', // final
    ]);
    expect(record.criteria).toEqual([
      expect.objectContaining({ status: 'met', tests: ['test_mul'], passing: true }),
    ]);
    expect(record.cycles[0]!.red!.failing).toEqual(['tests.test_mul::test_mul']);
    expect(p.sandbox.chowned).toBe(1);
    expect(p.models.pending).toBe(0);
  });

  it('counts the red run in the cycle’s test time', async () => {
    const p = await setUp(ONE_CYCLE);
    const record = await runPair(p.options);
    // Red (5 ms) and green (5 ms) verification runs of the fake sandbox.
    expect(record.cycles[0]!.testMs).toBe(10);
  });

  it('sends a test that passes at once back to the tester, with why', async () => {
    const p = await setUp([
      {
        role: 'tester',
        step: 'red-1',
        ...write('tests/test_mul.t', 'test test_mul: return a + b in calc.py\n'),
      },
      { role: 'tester', step: 'red-1', ...finish({ tests: ['test_mul'], summary: 'weak' }) },
      ...ONE_CYCLE,
    ]);
    const record = await runPair(p.options);
    expect(record.status).toBe('done');
    expect(kinds(p, 'pair.attempt_failed')).toEqual([
      expect.objectContaining({ role: 'tester', phase: 'red', attempts: 1 }),
    ]);
    const retry = p.models.requests.filter((r) => r.request.step === 'red-1')[2]!;
    expect(retry.request.messages[1]!.content).toContain('the new test passes already');
    // The weak test never reached a commit.
    expect(p.workspace.commits[1]!.tree.get('tests/test_mul.t')).toBe(TEST_MUL);
  });

  it('reverts a developer change to a test file and says so in the next attempt', async () => {
    const p = await setUp([
      ...ONE_CYCLE.slice(0, 2),
      { role: 'developer', step: 'green-1', ...write('calc.py', CALC_MUL) },
      { role: 'developer', step: 'green-1', ...finish({ summary: 'add mul' }) },
    ]);
    // The developer's code also rewrites the test while the suite runs.
    let rewrites = 1;
    p.sandbox.suite = (files) => {
      if (files.get('calc.py') === CALC_MUL && rewrites-- > 0) {
        (files as Map<string, string>).set('tests/test_mul.t', 'test test_mul: def in calc.py\n');
      }
      return miniSuite(files);
    };
    const policy = {
      ...p.options.policy,
      budgets: { ...p.options.policy.budgets, attemptsPerPhase: 1 },
    };
    const record = await runPair({ ...p.options, policy });
    // The green run was tampered with: the attempt fails (one attempt allowed, no chain: blocked).
    expect(record.status).toBe('blocked');
    expect(kinds(p, 'pair.boundary_violation')).toEqual([
      expect.objectContaining({
        role: 'developer',
        paths: ['tests/test_mul.t'],
        during: 'test_run',
      }),
    ]);
    expect(record.diagnosis?.tried[0]).toContain(
      'files outside your role changed while the tests ran',
    );
  });

  it('escalates after attemptsPerPhase failures and blocks when the chain is exhausted', async () => {
    const failing = {
      role: 'developer' as const,
      step: 'green-1',
      ...write('calc.py', `${CALC}\ndef mul(a, b):\n    return 0\n`),
    };
    const done = { role: 'developer' as const, step: 'green-1', ...finish({ summary: 'try' }) };
    const p = await setUp([...ONE_CYCLE.slice(0, 2), failing, done, failing, done, failing, done], {
      policy: { budgets: { attemptsPerPhase: 1 } },
      chains: { developer: ['small', 'large'] },
    });
    const record = await runPair(p.options);
    expect(record.status).toBe('blocked');
    expect(kinds(p, 'pair.escalated')).toEqual([
      expect.objectContaining({ role: 'developer', to: 'large' }),
    ]);
    expect(record.diagnosis).toMatchObject({
      reason: 'escalation_exhausted',
      phase: 'green',
      whatFailed: 'the suite is failed after the change',
    });
    expect(record.diagnosis!.tried).toEqual([
      'green cycle 1 attempt 1 (small): the suite is failed after the change',
      'escalated developer to large',
      'green cycle 1 attempt 1 (large): the suite is failed after the change',
    ]);
    // The red commit stays on the branch; the failed work is discarded.
    expect(record.commits.map((c) => c.subject)).toEqual(['test(#1): mul multiplies']);
    expect(p.workspace.files.get('calc.py')).toBe(CALC);
  });

  it('blocks before a step when a budget is used up', async () => {
    const p = await setUp(ONE_CYCLE, { policy: { budgets: { tokens: 1_000 } } });
    p.models.tokensPerCall = { inputTokens: 450, outputTokens: 50 };
    const record = await runPair(p.options);
    expect(record.status).toBe('blocked');
    expect(record.diagnosis).toMatchObject({ reason: 'budget_tokens', phase: 'green' });
  });

  it('fails the run when a push fails, and never saves a checkpoint naming the unpushed commit', async () => {
    const p = await setUp(ONE_CYCLE);
    p.workspace.pushError = new Error('remote hung up');
    await expect(runPair(p.options)).rejects.toThrow('remote hung up');
    const saved = Checkpoint.parse([...p.store.runs.values()][0]!.checkpoint);
    expect(saved.lastCommit).toBe('c0');
    expect(saved.pending).toMatchObject({ phase: 'red', cycle: 1 });
  });

  it('adopts a commit announced in the checkpoint when it reached the branch before a crash', async () => {
    const p = await setUp(ONE_CYCLE);
    let crashed = false;
    const store = p.store;
    const crashing = {
      ...store,
      appendEvent: (runId: number, kind: string, data: Record<string, unknown>) =>
        kind === 'git.commit' && !crashed
          ? ((crashed = true), Promise.reject(new Error('database lost')))
          : store.appendEvent(runId, kind, data),
    };
    await expect(runPair({ ...p.options, store: crashing })).rejects.toThrow('database lost');
    const record = await runPair(p.options);
    expect(record.status).toBe('done');
    expect(record.commits.map((c) => c.subject)).toEqual([
      'test(#1): mul multiplies',
      'feat(#1): add mul',
    ]);
    expect(kinds(p, 'pair.commit_adopted')).toEqual([
      expect.objectContaining({ sha: 'c1', phase: 'red' }),
    ]);
  });

  it('blocks with setup_failed when the setup command fails, before any model call', async () => {
    const p = await setUp(ONE_CYCLE, { policy: { sandbox: { setup: ['make', 'deps'] } } });
    p.sandbox.otherCommand = () => ({ exitCode: 3, stdout: 'no rule to make deps' });
    const record = await runPair(p.options);
    expect(record.diagnosis).toMatchObject({ reason: 'setup_failed' });
    expect(record.diagnosis!.lastTestOutput).toContain('no rule to make deps');
    expect(p.models.requests).toHaveLength(0);
  });
});
