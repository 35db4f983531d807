/** Test helper: a git repository made from the calc fixture, with the policy and a scripted-model catalog. */
import { cp, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

export const FIXTURES = resolve('test/fixtures/engine');

/** A fresh repository (`repo`), data dir and catalog for `script` (a path, relative to test/fixtures/engine). */
export async function makeLocalRepo(script: string): Promise<{
  dir: string;
  repo: string;
  dataDir: string;
  catalog: string;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-engine-'));
  const repo = join(dir, 'calc');
  await cp(join(FIXTURES, 'calc'), repo, { recursive: true });
  await rename(join(repo, 'gitignore.txt'), join(repo, '.gitignore'));
  await rename(join(repo, 'tandem.yml'), join(repo, '.tandem.yml'));
  await execa('git', ['init', '-q', '-b', 'main', repo]);
  await commitAll(repo, 'calc');
  const catalog = join(dir, 'catalog.yaml');
  await writeFile(
    catalog,
    `models:\n  script:\n    provider: scripted\n    model: demo\n    script: ${resolve(FIXTURES, script)}\n  script-strong:\n    provider: scripted\n    model: demo-strong\n    script: ${resolve(FIXTURES, script)}\n`,
  );
  return { dir, repo, dataDir: join(dir, 'data'), catalog };
}

/** Commits everything in `repo`'s work tree (a fixed test author). */
export async function commitAll(repo: string, message: string): Promise<void> {
  await execa('git', ['-C', repo, 'add', '-A']);
  await execa('git', [
    '-C',
    repo,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@t',
    'commit',
    '-qm',
    message,
  ]);
}

/**
 * `tandem run` on `ticket.yaml` as one node process (no npx/tsx wrapper), so a signal sent to the child
 * reaches the runner itself.
 */
export function tandemRun(
  local: { repo: string; dataDir: string; catalog: string },
  env: Record<string, string> = {},
) {
  return execa(
    process.execPath,
    [
      '--import',
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
    { reject: false, env: { TANDEM_DATA_DIR: local.dataDir, LOG_LEVEL: 'warn', ...env } },
  );
}

/** `git log` of the ticket branch since main: subject and trailers per commit, oldest first. */
export async function branchLog(repo: string, branch: string): Promise<string[]> {
  const out = await execa('git', [
    '-C',
    repo,
    'log',
    '--reverse',
    '--format=%s|%(trailers:key=Tandem-Role,valueonly,separator=)|%(trailers:key=Tandem-Phase,valueonly,separator=)|%(trailers:key=Tandem-Cycle,valueonly,separator=)',
    `main..${branch}`,
  ]);
  return out.stdout.split('\n').filter(Boolean);
}
