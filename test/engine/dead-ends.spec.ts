/**
 * A protocol without dead ends, through the engine API with the real Docker sandbox (pytest), git,
 * PGlite and the scripted ModelManager: a red that fails at import time, a disputed test, and what a
 * retry sees. Scripts in test/fixtures/engine/.
 */
import { describe, expect, it } from 'vitest';
import type { RepoPolicy } from '../../src/config/repo-policy.js';
import { eventsOf, sharedSandboxRuns, type EngineRun } from './engine-harness.js';
import { branchLog } from './local-repo.js';

const runs = sharedSandboxRuns();

const MULTIPLY = 'tandem/8-multiply';

/** The first user prompt of every attempt of `step` (answered by `aliases`), in order. */
async function starts(r: EngineRun, step: string, aliases = ['script']): Promise<string[]> {
  const received = [];
  for (const alias of aliases) {
    received.push(...(await r.scripted(alias)).received);
  }
  return received
    .filter((q) => q.step === step && q.messages.length === 2)
    .map((q) => q.messages[1]!.content);
}

describe('pair protocol without dead ends (real sandbox, git, PGlite, scripted ModelManager)', () => {
  it('commits a red whose new test cannot import a name the code lacks yet', async () => {
    const run = await runs.prepare({
      script: 'import-error-red.yaml',
      ticket: 'ticket-multiply.yaml',
    });
    const record = await run.run();
    expect(record.status).toBe('done');
    expect(await branchLog(run.repo, MULTIPLY)).toEqual([
      'test(#8): multiply returns the product|tester|red|1',
      'feat(#8): add multiply|developer|green|1',
    ]);
    const log = await eventsOf(run);
    expect(log.filter((e) => e.kind === 'pair.test_run').map((e) => e.data.status)).toEqual([
      'passed', // baseline
      'broken', // red: pytest cannot collect the new test (ImportError)
      'passed', // green
      'passed', // final
    ]);
    expect(record.cycles[0]!.red).toMatchObject({
      loadFailure: true,
      files: ['tests/test_multiply.py'],
      failing: ['tests.test_multiply'],
    });
    const [green] = await starts(run, 'green-1');
    expect(green).toContain('The new tests fail to load');
    expect(green).toContain('In: tests/test_multiply.py');
    expect((await run.scripted()).pending).toBe(0);
  }, 120_000);

  it('sends a disputed test back to the tester, who rewrites it', async () => {
    const run = await runs.prepare({ script: 'dispute.yaml', ticket: 'ticket-multiply.yaml' });
    const record = await run.run();
    expect(record.status).toBe('done');
    expect(await branchLog(run.repo, MULTIPLY)).toEqual([
      'test(#8): multiply returns seven|tester|red|1',
      'test(#8): multiply returns the product|tester|red|1',
      'feat(#8): add multiply|developer|green|1',
    ]);
    expect(record.disputes).toEqual([
      {
        cycle: 1,
        reason:
          'test_multiply expects multiply(3, 4) == 7, but the criterion asks for the product, 12',
        upheld: false,
      },
    ]);
    const reds = await starts(run, 'red-1');
    expect(reds[1]).toContain('The Developer disputes your test: test_multiply expects');
    expect((await eventsOf(run)).filter((e) => e.kind === 'pair.attempt_failed')).toHaveLength(0);
    expect((await run.scripted()).pending).toBe(0);
  }, 120_000);

  const escalating = (p: RepoPolicy) => ({
    ...p,
    models: { ...p.models, developer: { alias: 'script', escalation: ['script-strong'] } },
    budgets: { ...p.budgets, attemptsPerPhase: 2 },
  });

  it('shows a retry the diff and the failing assertion of the attempt before, hotter', async () => {
    const run = await runs.prepare({
      script: 'escalation.yaml',
      ticket: 'ticket-multiply.yaml',
      policy: escalating,
    });
    const record = await run.run();
    expect(record.status).toBe('done');
    const greens = await starts(run, 'green-1', ['script', 'script-strong']);
    expect(greens).toHaveLength(3);
    expect(greens[1]).toContain('the suite is failed after the change');
    expect(greens[1]).toContain('assert 7 == 12');
    expect(greens[1]).toContain('+    return a + b');
    // The escalated alias sees what the last attempt of the alias before it changed.
    expect(greens[2]).toContain('Your previous attempt changed this');
    const started = (await eventsOf(run)).filter(
      (e) => e.kind === 'pair.agent_started' && e.data.role === 'developer',
    );
    expect(started.map((e) => [e.data.alias, e.data.temperature])).toEqual([
      ['script', 0.2],
      ['script', 0.5],
      ['script-strong', 0.2],
    ]);
  }, 120_000);
});
