/**
 * Run lifecycle through the engine API, with the real sandbox, git, PGlite and scripted ModelManager:
 * - resume: a run interrupted at a checkpoint, or between a commit and the checkpoint that records it,
 *   continues in a "new process" (new ModelManager and session, workspace re-opened) with budgets and
 *   commits intact, also on "another host" without the job's git dir (the checkpoint is never ahead
 *   of the remote branch);
 * - pause: a run paused between steps (the Resource Director) finishes its step, keeps the checkpoint and
 *   resumes from it;
 * - setup: the policy's setup command runs once before the first test run, with the network when the
 *   policy says `network: setup`; a failing setup blocks the ticket.
 */
import { readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoint } from '../../src/agents/checkpoint.js';
import type { PairProgress } from '../../src/agents/pair-engine.js';
import { createDbRunStore } from '../../src/agents/db-run-store.js';
import type { RunStore } from '../../src/agents/run-store.js';
import { events, runs } from '../../src/db/schema.js';
import { GitCommandError } from '../../src/errors/index.js';
import {
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

const BRANCH = 'tandem/7-multiply-and-subtract';

/** Aborts `controller` during red-1's verification: the second test run (the first is the baseline). */
function duringRedVerification(
  controller: AbortController,
  reason?: unknown,
): (p: PairProgress) => void {
  let testRuns = 0;
  return (p) => {
    if (p.message === 'running the tests' && ++testRuns === 2) {
      controller.abort(reason);
    }
  };
}

/** Resumes `r` in a "new process" and expects it done: four commits, one attempt per phase in cycle 1. */
async function resumesToDone(r: EngineRun): Promise<void> {
  await r.restart();
  const record = await r.run();
  expect(record.status).toBe('done');
  expect(await branchLog(r.repo, BRANCH)).toHaveLength(4);
  expect(record.cycles[0]!.attempts).toEqual({ red: 1, green: 1 });
}

describe('pair engine resume (real sandbox, git, PGlite, scripted ModelManager)', () => {
  it('carries model usage across a restart, so the token budget still holds', async () => {
    run = await prepareRun(shared, {
      script: 'budget.yaml',
      policy: (p) => ({ ...p, budgets: { ...p.budgets, tokens: 9_000 } }),
    });
    // First process: stopped once cycle 1 is committed (4 000 tokens used).
    const stop = new AbortController();
    await expect(
      run.run({
        signal: stop.signal,
        onProgress: (p) => {
          if (p.cycle === 2) {
            stop.abort();
          }
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const [stopped] = await run.db.db.select().from(runs);
    const saved = Checkpoint.parse(stopped!.checkpoint);
    expect(saved).toMatchObject({ phase: 'red', cycle: 2 });
    expect(saved.usage).toMatchObject({ inputTokens: 3_600, outputTokens: 400 });

    // Second process: a fresh session that alone would have 9 000 tokens left.
    await run.restart();
    const record = await run.run();
    expect(record.status).toBe('blocked');
    expect(record.diagnosis).toMatchObject({ reason: 'budget_tokens', phase: 'green', cycle: 2 });
    expect(record.diagnosis!.whatFailed).toContain('used 9000 of 9000');
    expect(record.usage).toEqual({
      tester: { calls: 4, inputTokens: 3_600, outputTokens: 400, costUsd: 0 },
      developer: { calls: 5, inputTokens: 4_500, outputTokens: 500, costUsd: 0 },
    });
    const [finished] = await run.db.db.select().from(runs);
    expect(Checkpoint.parse(finished!.checkpoint).usage).toMatchObject({
      inputTokens: 8_100,
      outputTokens: 900,
    });
    expect(await branchLog(run.repo, BRANCH)).toHaveLength(3);
  }, 180_000);

  it('adopts a commit made just before a crash instead of making it again', async () => {
    run = await prepareRun(shared, { script: 'two-cycles.yaml' });
    // The database goes away right after the first commit: the checkpoint still says `pending`.
    const store = createDbRunStore(run.db.db);
    let failed = false;
    const failing: RunStore = {
      ...store,
      appendEvent: (runId, kind, data) => {
        if (kind === 'git.commit' && !failed) {
          failed = true;
          return Promise.reject(new Error('connection to the database lost'));
        }
        return store.appendEvent(runId, kind, data);
      },
    };
    await expect(run.run({ store: failing })).rejects.toThrow('connection to the database lost');
    const made = await run.workspace.head();
    const [crashed] = await run.db.db.select().from(runs);
    const checkpoint = Checkpoint.parse(crashed!.checkpoint);
    expect(checkpoint.pending).toMatchObject({ phase: 'red', cycle: 1 });
    expect(checkpoint.lastCommit).not.toBe(made);

    await run.restart();
    const record = await run.run();
    expect(record.status).toBe('done');
    expect(await branchLog(run.repo, BRANCH)).toEqual([
      'test(#7): multiply returns the product|tester|red|1',
      'feat(#7): add multiply|developer|green|1',
      'test(#7): subtract returns the difference|tester|red|2',
      'feat(#7): add subtract|developer|green|2',
    ]);
    expect(record.commits[0]!.sha).toBe(made);
    expect(record.cycles[0]!.red!.commit).toBe(made);
    const adopted = (await run.db.db.select().from(events)).filter(
      (e) => e.kind === 'pair.commit_adopted',
    );
    expect(adopted.map((e) => e.data)).toEqual([
      expect.objectContaining({ sha: made, phase: 'red' }),
    ]);
  }, 180_000);

  it('stops during a test run without counting an attempt, and resumes from there', async () => {
    run = await prepareRun(shared, { script: 'two-cycles.yaml' });
    const stop = new AbortController();
    await expect(
      run.run({ signal: stop.signal, onProgress: duringRedVerification(stop) }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const [stopped] = await run.db.db.select().from(runs);
    expect(Checkpoint.parse(stopped!.checkpoint)).toMatchObject({
      phase: 'red',
      cycle: 1,
      attempts: 0,
      tried: [],
    });
    expect(await run.workspace.head()).toBe(run.workspace.baseCommit);
    await resumesToDone(run);
  }, 180_000);

  it('pauses between steps without aborting the step in flight, and resumes from that checkpoint', async () => {
    run = await prepareRun(shared, { script: 'two-cycles.yaml' });
    const pause = new AbortController();
    const reason = new Error('higher-priority work waits');
    // A stop there would abort red-1's verification; a pause lets the step finish.
    await expect(
      run.run({ pause: pause.signal, onProgress: duringRedVerification(pause, reason) }),
    ).rejects.toBe(reason);
    const [paused] = await run.db.db.select().from(runs);
    // The red step finished: its commit is pushed and the checkpoint moved on to green.
    expect(Checkpoint.parse(paused!.checkpoint)).toMatchObject({ phase: 'green', cycle: 1 });
    expect(await branchLog(run.repo, BRANCH)).toHaveLength(1);
    await resumesToDone(run);
  }, 180_000);

  it("fails the run when a push fails, with the commit kept in the job's git dir", async () => {
    run = await prepareRun(shared, { script: 'two-cycles.yaml' });
    const away = `${run.repo}-away`;
    await rename(run.repo, away);
    try {
      await expect(run.run()).rejects.toBeInstanceOf(GitCommandError);
    } finally {
      await rename(away, run.repo);
    }
    // The red commit exists locally; the push error surfaced before the next commit was made.
    expect((await run.workspace.log(run.workspace.baseCommit)).map((c) => c.subject)).toEqual([
      'test(#7): multiply returns the product',
    ]);
  }, 120_000);

  // Resume on another host: the worker dies after a commit whose push never reached the remote and
  // the job is picked up where its git dir is missing (another host, a lost data directory). The
  // checkpoint must never be ahead of the remote branch, or every retry fails on the commit it names.
  it('redoes a commit that never reached the remote instead of failing on it', async () => {
    run = await prepareRun(shared, { script: 'two-cycles.yaml' });
    // The remote is unreachable from the first commit on; the run is stopped once green starts.
    const away = `${run.repo}-away`;
    await rename(run.repo, away);
    const stop = new AbortController();
    try {
      await expect(
        run.run({
          signal: stop.signal,
          onProgress: (p) => p.phase === 'green' && stop.abort(),
        }),
      ).rejects.toBeDefined();
    } finally {
      await rename(away, run.repo);
    }
    const [stopped] = await run.db.db.select().from(runs);
    const saved = Checkpoint.parse(stopped!.checkpoint);
    // What the checkpoint names must exist on the remote: the base, with the red commit pending.
    expect(saved.lastCommit).toBe(run.workspace.baseCommit);
    expect(saved).toMatchObject({ phase: 'red', pending: { phase: 'red', cycle: 1 } });

    // Another host: no job git dir; the remote has no ticket branch yet.
    await rm(join(dirname(run.repo), 'git'), { recursive: true, force: true });
    await run.restart();
    expect(run.workspace.source).toBe('base');
    const record = await run.run();
    expect(record.status).toBe('done');
    expect(await branchLog(run.repo, BRANCH)).toEqual([
      'test(#7): multiply returns the product|tester|red|1',
      'feat(#7): add multiply|developer|green|1',
      'test(#7): subtract returns the difference|tester|red|2',
      'feat(#7): add subtract|developer|green|2',
    ]);
  }, 180_000);
});

/** Setup argv: lists the container's network interfaces into .deps/net.txt (git-ignored, like deps). */
const LIST_NETWORK = [
  'python3',
  '-c',
  "import os; os.makedirs('.deps', exist_ok=True); open('.deps/net.txt', 'w').write(' '.join(sorted(os.listdir('/sys/class/net'))))",
];

describe('pair engine setup command', () => {
  it('runs the setup command once, first, with the setup network; tests run offline', async () => {
    const networked = await startSharedSandbox({ network: 'setup' });
    try {
      run = await prepareRun(networked, {
        script: 'one-cycle.yaml',
        ticket: 'ticket-multiply.yaml',
        policy: (p) => ({ ...p, sandbox: { ...p.sandbox, setup: LIST_NETWORK, network: 'setup' } }),
      });
      const record = await run.run();
      expect(record.status).toBe('done');
      const log = (await run.db.db.select().from(events)).map((e) => ({
        kind: e.kind,
        data: e.data as Record<string, unknown>,
      }));
      const execs = log.filter((e) => e.kind === 'pair.setup' || e.kind === 'pair.test_run');
      expect(execs.map((e) => e.kind)).toEqual([
        'pair.setup',
        'pair.test_run', // baseline
        'pair.test_run', // red
        'pair.test_run', // green
        'pair.test_run', // final
      ]);
      expect(execs[0]!.data).toMatchObject({ exitCode: 0, network: true });
      // During setup the container had an interface besides loopback; afterwards only loopback.
      const during = await readFile(join(networked.workTree, '.deps/net.txt'), 'utf8');
      expect(during.split(' ').filter((i) => i !== 'lo').length).toBeGreaterThan(0);
      const after = await networked.sandbox.exec(
        ['python3', '-c', "import os; print(' '.join(sorted(os.listdir('/sys/class/net'))))"],
        { timeoutMs: 30_000 },
      );
      expect(after.stdout.trim()).toBe('lo');
    } finally {
      await run?.close();
      run = undefined;
      await networked.close();
    }
  }, 180_000);

  it('blocks the ticket when the setup command fails, before any model call', async () => {
    run = await prepareRun(shared, {
      script: 'one-cycle.yaml',
      ticket: 'ticket-multiply.yaml',
      policy: (p) => ({
        ...p,
        sandbox: {
          ...p.sandbox,
          setup: ['python3', '-c', "import sys; print('no package named calc-deps'); sys.exit(3)"],
        },
      }),
    });
    const record = await run.run();
    expect(record.status).toBe('blocked');
    expect(record.diagnosis).toMatchObject({
      reason: 'setup_failed',
      phase: 'red',
      cycle: 1,
    });
    expect(record.diagnosis!.whatFailed).toContain('exited with 3');
    expect(record.diagnosis!.lastTestOutput).toContain('no package named calc-deps');
    expect((await run.scripted()).received).toHaveLength(0);
    expect(record.commits).toEqual([]);
  }, 120_000);
});
