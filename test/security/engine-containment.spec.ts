/**
 * The attacks through the real pair engine: the scripted provider drives the agents (scripts in
 * test/security/fixtures/), tools and test runs go through one real Docker sandbox, real git, PGlite.
 * The attack is planted the way an agent can: by a file it writes (the suite runs it) or by write_file.
 */
import { dirname, join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { events } from '../../src/db/schema.js';
import {
  prepareRun,
  startSharedSandbox,
  type EngineRun,
  type PrepareRunOptions,
  type SharedSandbox,
} from '../engine/engine-harness.js';
import { branchLog } from '../engine/local-repo.js';
import { exists, git } from './security-harness.js';

const FIXTURES = resolve('test/security/fixtures');
const BRANCH = 'tandem/8-multiply';

let shared: SharedSandbox;
/** Runs prepared by the current test, closed after it. */
const opened: EngineRun[] = [];

beforeAll(async () => {
  shared = await startSharedSandbox();
}, 60_000);

afterAll(() => shared.close());

afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});

/** A fresh repository and database over the shared sandbox, for one script of test/security/fixtures. */
async function prepare(script: string, policy?: PrepareRunOptions['policy']): Promise<EngineRun> {
  const run = await prepareRun(shared, {
    script: join(FIXTURES, script),
    ticket: 'ticket-multiply.yaml',
    ...(policy ? { policy } : {}),
  });
  opened.push(run);
  return run;
}

async function eventsOf(r: EngineRun): Promise<{ kind: string; data: Record<string, unknown> }[]> {
  const rows = await r.db.db.select().from(events);
  return rows.map((e) => ({ kind: e.kind, data: e.data as Record<string, unknown> }));
}

describe('containment through the pair engine (real sandbox, git, PGlite, scripted models)', () => {
  it("a nested repository planted by the tester's test never runs its filter on the host", async () => {
    const marker = join(dirname(shared.workTree), 'tandem-pwned');
    const run = await prepare('nested-repository.yaml');
    const record = await run.run().catch((error: unknown) => error);
    expect(await exists(marker)).toBe(false);
    expect(record).toMatchObject({ status: 'done' });
    // Only the honest commits; no gitlink, no nested repository's files, no .gitattributes.
    expect(await branchLog(run.repo, BRANCH)).toEqual([
      'test(#8): multiply returns the product|tester|red|1',
      'feat(#8): add multiply|developer|green|1',
    ]);
    const tree = await git(run.repo, 'ls-tree', '-r', BRANCH);
    expect(tree).not.toMatch(/^160000 /m);
    expect(tree).not.toContain('tests/sub');
    // The removal was recorded and the tester's next attempt was told why.
    const log = await eventsOf(run);
    expect(log.find((e) => e.kind === 'pair.nested_repository_removed')?.data).toMatchObject({
      role: 'tester',
      paths: ['tests/sub/.git'],
      during: 'test_run',
    });
    const provider = await run.scripted();
    const retried = provider.received.find((q) =>
      (q.messages.at(-1)?.content ?? '').includes('Removed nested git repositories'),
    );
    expect(retried?.messages.at(-1)?.content).toContain('tests/sub/.git');
    expect(provider.pending).toBe(0);
  });

  it("CI workflows, CODEOWNERS, Tandem's policy and the operator's globs are reverted for the developer", async () => {
    const run = await prepare('protected-paths.yaml');
    const record = await run.run({ protectedPaths: ['deploy/**'] });
    expect(record.status).toBe('done');
    const files = (await git(run.repo, 'ls-tree', '-r', '--name-only', BRANCH)).split('\n');
    expect(files).not.toContain('.github/workflows/ci.yml');
    expect(files).not.toContain('CODEOWNERS');
    expect(files).not.toContain('deploy/prod.env');
    expect(await git(run.repo, 'show', `${BRANCH}:.tandem.yml`)).toBe(
      await git(run.repo, 'show', 'main:.tandem.yml'),
    );
    expect(await git(run.repo, 'show', `${BRANCH}:calc.py`)).toContain('def multiply');
    const log = await eventsOf(run);
    expect(
      log.filter((e) => e.kind === 'pair.protected_path_violation').map((e) => e.data),
    ).toEqual([
      {
        role: 'developer',
        paths: ['.github/workflows/ci.yml', '.tandem.yml', 'CODEOWNERS', 'deploy/prod.env'],
        during: 'phase',
        cycle: 1,
      },
    ]);
    const provider = await run.scripted();
    const refused = provider.received.find((q) =>
      q.messages.some((m) => m.role === 'tool' && m.content.includes('protected_path')),
    );
    expect(refused).toBeDefined();
  });

  it('a workspace over sandbox.diskMb blocks the ticket and frees the disk', async () => {
    const run = await prepare('disk-limit.yaml', (p) => ({
      ...p,
      sandbox: { ...p.sandbox, diskMb: 32 },
    }));
    const record = await run.run();
    expect(record.status).toBe('blocked');
    expect(record.diagnosis).toMatchObject({
      reason: 'workspace_too_large',
      whatFailed: expect.stringMatching(/over its disk limit of 32 MiB/),
    });
    expect(await exists(join(shared.workTree, 'tests', 'blob.bin'))).toBe(false);
    expect(await branchLog(run.repo, BRANCH)).toEqual([]);
  });
});
