/**
 * Resume on another host: a worker dies after a commit whose push never reached the remote, and the
 * job is picked up by a worker without that job's git directory (another host of a scaled-out
 * deployment, or a lost data directory). The checkpoint must never be ahead of the remote branch:
 * otherwise it names a commit the new workspace does not have, and every retry fails on it.
 * Real sandbox, git, PGlite and scripted ModelManager (`engine-harness.ts`).
 */
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoint } from '../../src/agents/checkpoint.js';
import { runs } from '../../src/db/schema.js';
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

describe('pair engine resume without the job git dir', () => {
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
