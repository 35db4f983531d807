/**
 * `tandem eval --resume` after kill -9 (real Docker, git, PGlite, the oracle model): the eval process is
 * killed as soon as the first commit of the task's pair run reaches the run's repository; the resumed eval
 * continues that pair run from its checkpoint (no duplicate commit), grades it, and writes one result line.
 */
import { realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../../src/eval/run-eval.js';
import { localJobId } from '../../src/eval/run-local-ticket.js';
import { makeTinySet } from './tiny-set.js';

let set: { dir: string; file: string };

beforeAll(async () => {
  set = await makeTinySet();
});
afterAll(async () => {
  // The killed eval could not remove its sandbox container: remove this run's only (by its job id).
  const repo = await realpath(join(set.dir, 'out', 'runs', 'textkit-truncate', '1', 'repo')).catch(
    () => null,
  );
  if (repo) {
    const job = localJobId('textkit-truncate', repo);
    const left = await execa('docker', ['ps', '-aq', '--filter', `label=dev.tandem.job=${job}`]);
    const ids = left.stdout.split('\n').filter(Boolean);
    if (ids.length > 0) {
      await execa('docker', ['rm', '-f', ...ids], { reject: false });
    }
  }
  await rm(set.dir, { recursive: true, force: true });
});

function evalRun(out: string, resume: boolean) {
  return execa(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'eval',
      '--set',
      set.file,
      '--task',
      'textkit-truncate',
      '--scripted',
      'oracle',
      '--out',
      out,
      '--cache',
      join(set.dir, 'cache'),
      ...(resume ? ['--resume'] : []),
    ],
    { reject: false, env: { LOG_LEVEL: 'warn' } },
  );
}

async function branchCommits(repo: string): Promise<string[]> {
  const log = await execa(
    'git',
    ['-C', repo, 'log', '--format=%s', '--branches=tandem/*', '--not', 'main'],
    {
      reject: false,
    },
  );
  return log.stdout.split('\n').filter(Boolean);
}

describe('tandem eval --resume', () => {
  it('continues a pair run killed mid-way and grades it once', async () => {
    const out = join(set.dir, 'out');
    const repo = join(out, 'runs', 'textkit-truncate', '1', 'repo');
    const first = evalRun(out, false);
    let killed = false;
    while (first.exitCode === undefined || first.exitCode === null) {
      if ((await branchCommits(repo)).length > 0) {
        first.kill('SIGKILL');
        killed = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await first;
    expect(killed, 'the eval ended before its first commit').toBe(true);
    expect(await readResults(join(out, 'results.jsonl'))).toEqual([]);
    expect(await branchCommits(repo)).toHaveLength(1);

    const second = await evalRun(out, true);
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    const results = await readResults(join(out, 'results.jsonl'));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ resolved: true, agent_verdict: 'done' });
    expect(results[0]!.evidence.red_before_green).toBe(true);
    // The red commit made before the kill was adopted, not made again.
    expect(await branchCommits(repo)).toEqual([
      'feat(#textkit-truncate): the reference change',
      'test(#textkit-truncate): tests of the reference change',
    ]);
  }, 300_000);
});
