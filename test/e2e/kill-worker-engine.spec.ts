/**
 * kill -9 of a worker process during a ticket on the REAL pair engine (`createEnginePairRunner`, Docker
 * sandboxes from `tandem-sandbox:latest`, the calc fixture, pytest), then a restart: the new process
 * removes the killed one's orphan containers, picks up the stalled job and resumes the engine's
 * checkpoint (red is not redone), and the result is the uninterrupted run's: one PR, red then green on
 * the branch, the same tree, one `tandem/tdd` status, no duplicate comments, one run row.
 *
 * The parent side is `kill-worker-harness.ts`; worker processes are `kill-worker-child.ts` with
 * `runner: 'engine'` and one fixed sandbox worker id. The kill point is deterministic: worker 1's script
 * is a copy of `engine-e2e.yaml` whose first `developer`/`green-1` answer takes `DEVELOPER_LATENCY_MS`;
 * the child announces each model call when it starts, and the parent kills worker 1 once the developer's
 * call has started and the red commit is on the remote. Worker 2 runs the unchanged script.
 */
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { and, asc, eq } from 'drizzle-orm';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/sandbox/container-options.js';
import { events, modelCalls, runs } from '../../src/db/schema.js';
import { getTicket, ticketsOfRequest } from '../../src/workflow/tickets/ticket-store.js';
import { removeWorkerContainers, workerContainers } from '../sandbox/sandbox-harness.js';
import { until } from '../workflow/harness.js';
import { repoFiles } from './e2e-flow.js';
import { startKillHarness, type KillHarness } from './kill-worker-harness.js';

const SCRIPT = resolve('test', 'fixtures', 'workflow', 'engine-e2e.yaml');
/** How long worker 1's first developer answer takes (the window the kill falls in), in ms. */
const DEVELOPER_LATENCY_MS = 10_000;
/** What the uninterrupted run leaves on the ticket branch (engine-e2e.yaml, T1's first run). */
const CALC_PY = [
  '"""A tiny calculator library."""',
  '',
  '',
  'def add(a, b):',
  '    return a + b',
  '',
  '',
  'def multiply(a, b):',
  '    return a * b',
].join('\n');
const TEST_MULTIPLY_PY = [
  'import calc',
  '',
  '',
  'def test_multiply():',
  '    assert calc.multiply(3, 4) == 12',
].join('\n');

/** Event kinds that show the run's course (model and tool events left out). */
const MILESTONES = [
  'pair.test_run',
  'git.commit',
  'pair.resumed',
  'pair.commit_adopted',
  'run.record',
];

/** `engine-e2e.yaml` with `latencyMs` on its first developer `green-1` entry, written to `path`. */
async function slowDeveloperScript(path: string): Promise<void> {
  const entries = parseYaml(await readFile(SCRIPT, 'utf8')) as {
    match?: { role?: string; step?: string };
    latencyMs?: number;
  }[];
  const green = entries.find((e) => e.match?.role === 'developer' && e.match.step === 'green-1');
  expect(green).toBeDefined();
  green!.latencyMs = DEVELOPER_LATENCY_MS;
  await writeFile(path, stringifyYaml(entries));
}

describe('kill -9 of a worker during a ticket, on the real pair engine in Docker', () => {
  let h: KillHarness | undefined;
  const workerId = `test-kill-${randomUUID()}`;

  afterEach(async () => {
    await h?.close();
    h = undefined;
    await removeWorkerContainers(workerId);
  });

  it('restarted worker removes the orphan sandbox and resumes the checkpoint: one PR, the same tree', async () => {
    h = await startKillHarness(await repoFiles('engine'));
    const { store, db } = h;
    const slowScript = join(h.dir, 'script-slow.yaml');
    await slowDeveloperScript(slowScript);
    const modelCallLog = join(h.dir, 'model-calls.log');
    const callsStarted = async () =>
      (await readFile(modelCallLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    const worker = (script: string) =>
      h!.spawnWorker({
        runner: 'engine',
        script,
        workerId,
        workspaceRoot: join(h!.dir, 'workspaces'),
        modelCallLog,
      });
    /** `<Tandem-Phase> <subject>` of the branch's commits since main, oldest first. */
    const history = async (branch: string) =>
      (
        await h!.git([
          'log',
          '--reverse',
          '--format=%(trailers:key=Tandem-Phase,valueonly,separator=) %s',
          `main..${branch}`,
        ])
      )
        .split('\n')
        .filter(Boolean);

    // Worker 1: trigger label → spec PR → /approve → tickets → T1's pair job in a sandbox.
    const { child: first } = await worker(slowScript);
    await h.fileAndApprove();
    await until(
      "the developer's model call in flight",
      async () => (await callsStarted()).includes('developer green-1'),
      90_000,
    );
    const [t1] = await ticketsOfRequest(db, 1);
    const n = t1!.issueNumber!;
    const branch = t1!.branch!;
    const red = `red test(#${n}): multiply returns the product`;
    // The engine pushes in the background after a commit: wait for the red commit on the remote.
    await until(
      'red commit on the remote',
      async () => (await history(branch).catch(() => [])).join() === red,
      DEVELOPER_LATENCY_MS / 2,
    );
    const orphans = await workerContainers(workerId);
    expect(orphans.length).toBeGreaterThan(0);
    const firstInstance = orphans[0]!.Labels[LABELS.instance];
    expect(orphans.every((c) => c.Labels[LABELS.instance] === firstInstance)).toBe(true);

    // kill -9 while the developer's answer is pending (it takes DEVELOPER_LATENCY_MS).
    first.kill('SIGKILL');
    await first.catch(() => undefined);
    expect(first.killed).toBe(true);
    expect(await callsStarted()).toEqual([
      'pm decide',
      'architect plan',
      'tester red-1',
      'tester red-1',
      'developer green-1',
    ]);
    // Its sandboxes outlive it until a process of the same worker id starts.
    const left = (await workerContainers(workerId)).map((c) => c.Id);
    expect(left).toEqual(expect.arrayContaining(orphans.map((c) => c.Id)));

    // Worker 2 (same worker id, the unchanged script) removes the orphans before it is ready.
    const { child: second } = await worker(SCRIPT);
    const after = await workerContainers(workerId);
    const orphanIds = orphans.map((c) => c.Id);
    expect(after.filter((c) => orphanIds.includes(c.Id))).toEqual([]);
    expect(after.filter((c) => c.Labels[LABELS.instance] === firstInstance)).toEqual([]);

    const done = await until(
      'T1 in review after the restart',
      async () => {
        const t = await getTicket(db, t1!.id);
        return t.state === 'review' ? t : undefined;
      },
      90_000,
    );

    // The forge: exactly one PR, one status on the head, no duplicate comments, real routes only.
    const head = await h.git(['rev-parse', branch]);
    const redSha = await h.git(['rev-parse', `${branch}~1`]);
    expect(store.calls.filter((c) => c === `createPull ${branch}`)).toHaveLength(1);
    expect(store.pulls.get(done.prNumber!)?.body).toContain(`Closes #${n}`);
    const statuses = store.statuses.filter((s) => s.context === 'tandem/tdd');
    expect(statuses).toEqual([{ sha: head, state: 'success', context: 'tandem/tdd' }]);
    const markers = store.comments.map((c) => `${c.number} ${c.body.split('\n')[0]}`);
    expect(new Set(markers).size).toBe(markers.length);
    expect(h.unknownRoutes).toEqual([]);

    // The branch: red once (from worker 1), green once (from worker 2); the uninterrupted run's tree.
    expect(await history(branch)).toEqual([red, `green feat(#${n}): add multiply`]);
    expect((await h.git(['ls-tree', '-r', '--name-only', branch])).split('\n')).toEqual([
      '.github/tandem.yml',
      '.gitignore',
      'calc.py',
      'docs/specs/1-csv-export.md',
      'tests/test_add.py',
      'tests/test_multiply.py',
    ]);
    expect(await h.git(['show', `${branch}:calc.py`])).toBe(CALC_PY);
    expect(await h.git(['show', `${branch}:tests/test_multiply.py`])).toBe(TEST_MULTIPLY_PY);

    // The engine's record: one run, resumed at green; red not redone (no tester call after the kill).
    const ticketRuns = await db.select().from(runs).where(eq(runs.ticketId, t1!.id));
    expect(ticketRuns).toHaveLength(1);
    const run = ticketRuns[0]!;
    expect(run).toMatchObject({ status: 'done', phase: 'done', kind: 'pair', lastCommit: head });
    const log = await db
      .select({ kind: events.kind, data: events.data })
      .from(events)
      .where(eq(events.runId, run.id))
      .orderBy(asc(events.id));
    // Worker 1: baseline, verified red, red commit; worker 2: resumed at green, green, final run.
    const milestones = log.filter((e) => MILESTONES.includes(e.kind));
    expect(milestones.map((e) => e.kind)).toEqual([
      'pair.test_run',
      'pair.test_run',
      'git.commit',
      'pair.resumed',
      'pair.test_run',
      'git.commit',
      'pair.test_run',
      'run.record',
    ]);
    const field = (i: number, key: string) => (milestones[i]!.data as Record<string, unknown>)[key];
    expect([0, 1, 4, 6].map((i) => field(i, 'status'))).toEqual([
      'passed',
      'failed',
      'passed',
      'passed',
    ]);
    expect(milestones[3]!.data).toEqual({ phase: 'green', cycle: 1 });
    expect([field(2, 'phase'), field(2, 'sha')]).toEqual(['red', redSha]);
    expect([field(5, 'phase'), field(5, 'sha')]).toEqual(['green', head]);
    const calls = await db
      .select({ role: modelCalls.role, outcome: modelCalls.outcome })
      .from(modelCalls)
      .where(and(eq(modelCalls.ticketId, t1!.id), eq(modelCalls.runId, run.id)));
    // The killed developer call was never answered, so never recorded; worker 2 made two.
    expect(calls.filter((c) => c.role === 'tester')).toHaveLength(2);
    expect(calls.filter((c) => c.role === 'developer')).toHaveLength(2);
    expect(calls.every((c) => c.outcome === 'ok')).toBe(true);
    expect((await callsStarted()).slice(5)).toEqual(['developer green-1', 'developer green-1']);

    // A graceful stop of worker 2 leaves no container of this worker id.
    second.kill('SIGTERM');
    await second;
    expect(await workerContainers(workerId)).toEqual([]);
  }, 180_000);
});
