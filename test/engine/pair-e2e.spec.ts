import { readFile, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/agents/checkpoint.js';
import { localJobId } from '../../src/cli/commands/run.js';
import { createDatabase } from '../../src/db/create-database.js';
import { events, runs } from '../../src/db/schema.js';
import { branchLog, makeLocalRepo, tandemRun } from './local-repo.js';

const BRANCH = 'tandem/7-multiply-and-subtract';
let dir = '';
/** The uninterrupted run's branch, for the kill -9 test to compare with. */
let uninterrupted: { tree: string; log: string[] } | undefined;

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function treeOf(repo: string, rev: string): Promise<string> {
  return (await execa('git', ['-C', repo, 'rev-parse', `${rev}^{tree}`])).stdout.trim();
}

describe('tandem run (real Docker sandbox, git, PGlite, scripted model)', () => {
  it('runs two red/green cycles and leaves test:/feat: commits with trailers on the branch', async () => {
    const local = await makeLocalRepo('two-cycles.yaml');
    dir = local.dir;
    const result = await tandemRun(local);
    expect(result.stderr).toContain('cycle 2');
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`done: branch ${BRANCH}`);
    const log = await branchLog(local.repo, BRANCH);
    expect(log).toEqual([
      'test(#7): multiply returns the product|tester|red|1',
      'feat(#7): add multiply|developer|green|1',
      'test(#7): subtract returns the difference|tester|red|2',
      'feat(#7): add subtract|developer|green|2',
    ]);
    uninterrupted = { tree: await treeOf(local.repo, BRANCH), log };
    // The branch's tree passes its own suite (host pytest, outside the engine).
    await execa('git', ['-C', local.repo, 'checkout', '-q', BRANCH]);
    const suite = await execa('python3', ['-B', '-m', 'pytest', '-q', '-p', 'no:cacheprovider'], {
      cwd: local.repo,
      reject: false,
    });
    expect(suite.stdout).toContain('3 passed');
    expect(await readFile(join(local.repo, 'calc.py'), 'utf8')).toContain('def subtract');

    const handle = await createDatabase({ dataDir: local.dataDir });
    try {
      const [run] = await handle.db.select().from(runs);
      expect(run).toMatchObject({ status: 'done', phase: 'done', cycle: 2 });
      const kinds = (await handle.db.select().from(events)).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'git.commit')).toHaveLength(4);
      const record = (await handle.db.select().from(events)).find((e) => e.kind === 'run.record')!
        .data as RunRecord;
      expect(record.criteria).toEqual([
        expect.objectContaining({
          index: 1,
          status: 'met',
          tests: ['test_multiply'],
          passing: true,
        }),
        expect.objectContaining({
          index: 2,
          status: 'met',
          tests: ['test_subtract'],
          passing: true,
        }),
      ]);
      expect(record.finalRun).toMatchObject({ status: 'passed', passed: 3, failed: 0 });
      expect(record.cycles).toHaveLength(2);
      expect(record.cycles[0]!.red!.failing).toEqual(['tests.test_multiply::test_multiply']);
      expect(Object.keys(record.usage).sort()).toEqual(['developer', 'tester']);
    } finally {
      await handle.close();
    }
  }, 180_000);

  it('resumes after kill -9 mid-cycle: same final tree, no duplicate commits', async () => {
    expect(uninterrupted, 'needs the uninterrupted run of the test above').toBeDefined();
    const local = await makeLocalRepo('two-cycles.yaml');
    dir = local.dir;
    const first = tandemRun(local);
    // Kill as soon as the first commit (red, cycle 1) reached the branch: green is under way.
    let killedAt: string | null = null;
    while (first.exitCode === undefined || first.exitCode === null) {
      const head = await execa('git', ['-C', local.repo, 'rev-parse', '-q', '--verify', BRANCH], {
        reject: false,
      });
      if (head.exitCode === 0) {
        killedAt = head.stdout.trim();
        first.kill('SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const killed = await first;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killedAt).not.toBeNull();
    expect(await branchLog(local.repo, BRANCH)).toEqual(uninterrupted!.log.slice(0, 1));
    try {
      const second = await tandemRun(local);
      expect(second.exitCode, second.stdout + second.stderr).toBe(0);
      expect(await branchLog(local.repo, BRANCH)).toEqual(uninterrupted!.log);
      expect(await treeOf(local.repo, BRANCH)).toBe(uninterrupted!.tree);
      // The first commit is the one made before the kill (adopted, not redone).
      const commits = await execa('git', [
        '-C',
        local.repo,
        'rev-list',
        '--reverse',
        `main..${BRANCH}`,
      ]);
      expect(commits.stdout.split('\n')[0]).toBe(killedAt);
      const handle = await createDatabase({ dataDir: local.dataDir });
      try {
        const all = await handle.db.select().from(runs);
        expect(all).toHaveLength(1);
        expect(all[0]).toMatchObject({ status: 'done', phase: 'done' });
        const kinds = (await handle.db.select().from(events)).map((e) => e.kind);
        expect(kinds).toContain('pair.resumed');
      } finally {
        await handle.close();
      }
    } finally {
      // The killed runner could not remove its container.
      const orphans = await execa('docker', [
        'ps',
        '-aq',
        '--filter',
        `label=dev.tandem.job=${localJobId(7, await realpath(local.repo))}`,
      ]);
      const ids = orphans.stdout.split('\n').filter(Boolean);
      if (ids.length > 0) {
        await execa('docker', ['rm', '-f', ...ids], { reject: false });
      }
    }
  }, 240_000);
});
