import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/agents/checkpoint.js';
import { createDatabase } from '../../src/db/create-database.js';
import { events, runs } from '../../src/db/schema.js';
import { branchLog, FIXTURES, makeLocalRepo } from './local-repo.js';

const BRANCH = 'tandem/7-multiply-and-subtract';
let dir = '';

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tandem run (real Docker sandbox, git, PGlite, scripted model)', () => {
  it('runs two red/green cycles and leaves test:/feat: commits with trailers on the branch', async () => {
    const local = await makeLocalRepo('two-cycles.yaml');
    dir = local.dir;
    const result = await execa(
      'npx',
      [
        'tsx',
        'src/cli/main.ts',
        'run',
        '--repo',
        local.repo,
        '--ticket',
        join(FIXTURES, 'ticket.yaml'),
        '--catalog',
        local.catalog,
      ],
      { reject: false, env: { TANDEM_DATA_DIR: local.dataDir, LOG_LEVEL: 'warn' } },
    );
    expect(result.stderr).toContain('cycle 2');
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`done: branch ${BRANCH}`);
    expect(await branchLog(local.repo, BRANCH)).toEqual([
      'test(#7): multiply returns the product|tester|red|1',
      'feat(#7): add multiply|developer|green|1',
      'test(#7): subtract returns the difference|tester|red|2',
      'feat(#7): add subtract|developer|green|2',
    ]);
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
});
