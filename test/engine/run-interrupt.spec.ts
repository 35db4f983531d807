/**
 * `tandem run` stopped by SIGINT (Ctrl-C) or SIGTERM while the setup command runs: a real node process,
 * a real Docker sandbox, a setup that would run for minutes. The run must print the setup's output as
 * it comes, stop at once, remove its sandbox container, exit 128 + the signal's number, and leave the
 * run resumable. Also: settings that cannot work (a CA file, a policy alias) stop it before anything
 * starts.
 */
import { readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { localJobId } from '../../src/cli/commands/run.js';
import { createDatabase } from '../../src/db/create-database.js';
import { runs } from '../../src/db/schema.js';
import { commitAll, makeLocalRepo, tandemRun } from './local-repo.js';

let dir = '';
let jobLabel = '';

afterEach(async () => {
  // Only reached with containers left when the test already failed: never leave them to others.
  if (jobLabel) {
    const ids = await containersOf(jobLabel);
    if (ids.length > 0) {
      await execa('docker', ['rm', '-f', ...ids], { reject: false });
    }
  }
  await rm(dir, { recursive: true, force: true });
});

/** Containers (running or not) carrying the job label. */
async function containersOf(label: string): Promise<string[]> {
  const out = await execa('docker', ['ps', '-aq', '--filter', `label=${label}`]);
  return out.stdout.split('\n').filter(Boolean);
}

/** Rewrites the repository's `.tandem.yml` with `change` and commits it. */
async function commitPolicy(repo: string, change: (policy: string) => string): Promise<void> {
  const policyFile = join(repo, '.tandem.yml');
  await writeFile(policyFile, change(await readFile(policyFile, 'utf8')));
  await commitAll(repo, 'policy');
}

/** A repository whose policy's setup prints a line, then sleeps far longer than the test. */
async function slowSetupRepo(): Promise<Awaited<ReturnType<typeof makeLocalRepo>>> {
  const local = await makeLocalRepo('one-cycle.yaml');
  await commitPolicy(local.repo, (policy) =>
    policy.replace(
      'sandbox:\n',
      "sandbox:\n  setup: [sh, -c, 'echo installing dependencies; exec sleep 600']\n",
    ),
  );
  return local;
}

/** Resolves once `pattern` appears in the child's stderr (rejects when it exits first). */
function stderrShows(
  child: { stderr: Readable | null } & PromiseLike<unknown>,
  pattern: string,
): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes(pattern)) {
        resolve(seen);
      }
    });
    child.then(
      () => reject(new Error(`exited before printing ${pattern}:\n${seen}`)),
      () => reject(new Error(`failed before printing ${pattern}:\n${seen}`)),
    );
  });
}

describe('tandem run refuses bad settings before anything starts', () => {
  it('an unusable TANDEM_SANDBOX_CA_CERTS file, naming the setting', async () => {
    const local = await makeLocalRepo('one-cycle.yaml');
    dir = local.dir;
    const missing = join(local.dir, 'proxy-ca.pem');
    const result = await tandemRun(local, { TANDEM_SANDBOX_CA_CERTS: missing });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('TANDEM_SANDBOX_CA_CERTS');
    expect(result.stderr).toContain(`${missing} does not exist`);
    expect(result.stderr).not.toContain('opening the workspace');
  }, 60_000);

  it('a policy alias the catalog lacks, naming the aliases it has', async () => {
    const local = await makeLocalRepo('one-cycle.yaml');
    dir = local.dir;
    await commitPolicy(local.repo, (p) =>
      p.replace('developer: { alias: script }', 'developer: { alias: scirpt }'),
    );
    const result = await tandemRun(local);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /models\.developer\.alias: unknown model alias "scirpt"; the server catalog has these chat aliases: .*script/,
    );
    expect(result.stderr).not.toContain('opening the workspace');
  }, 60_000);
});

describe('tandem run interrupted during setup (real process, real Docker sandbox)', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s: the setup stops, no container is left, exit %i, the run resumable',
    async (signal, exitCode) => {
      const local = await slowSetupRepo();
      dir = local.dir;
      jobLabel = `dev.tandem.job=${localJobId(7, await realpath(local.repo))}`;
      const child = tandemRun(local);
      // The setup's own output, printed while it runs: the container exists and the setup is under way.
      const before = await stderrShows(child, '| installing dependencies');
      expect(before).toMatch(/\[\d+\.\ds\] opening the workspace/);
      expect(before).toContain('setup running: sh -c echo installing dependencies; exec sleep 600');
      expect(await containersOf(jobLabel)).toHaveLength(1);

      const sentAt = Date.now();
      child.kill(signal);
      const result = await child;
      const tookMs = Date.now() - sentAt;

      expect(result.exitCode, result.stderr).toBe(exitCode);
      expect(result.stderr).toContain(`${signal} received: stopping at a safe point`);
      expect(result.stderr).toContain(`interrupted by ${signal}`);
      expect(result.stderr).toContain('Run the same command again to resume.');
      expect(await containersOf(jobLabel)).toEqual([]);
      // Stopped, not waited out: the setup would have slept for ten minutes.
      expect(tookMs).toBeLessThan(30_000);
      // The run is kept for the next `tandem run` to resume, not marked finished.
      const handle = await createDatabase({ dataDir: local.dataDir });
      try {
        const all = await handle.db.select().from(runs);
        expect(all).toHaveLength(1);
        expect(all[0]!.status).not.toBe('done');
        expect(all[0]!.status).not.toBe('blocked');
      } finally {
        await handle.close();
      }
    },
    120_000,
  );
});
