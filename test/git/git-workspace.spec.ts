import { mkdtemp, readFile, readdir, rm, writeFile, mkdir, chmod, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileToolError } from '../../src/errors/file-tool-error.js';
import { GitCommandError } from '../../src/errors/git-command-error.js';
import { GitWorkspace } from '../../src/git/git-workspace.js';
import { runGit } from '../../src/git/run-git.js';
import { startHttpGitServer } from './http-git-server.js';

const trailers = (phase: string, cycle: number) => ({
  'Tandem-Ticket': '7',
  'Tandem-Role': phase === 'red' ? 'tester' : 'developer',
  'Tandem-Model': 'scripted',
  'Tandem-Phase': phase,
  'Tandem-Cycle': String(cycle),
});

let dir: string;
let source: string;

/** A non-bare repository with one commit on `main`. */
async function makeSource(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  await execa('git', ['init', '-q', '-b', 'main', path]);
  await writeFile(join(path, 'lib.js'), 'export const one = 1;\n');
  await execa('git', ['-C', path, 'add', '-A']);
  await execa('git', [
    '-C',
    path,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@t',
    'commit',
    '-qm',
    'init',
  ]);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-git-'));
  source = join(dir, 'source');
  await makeSource(source);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (workTree = 'ws', gitDir = 'gitdir') =>
  GitWorkspace.open({
    remote: source,
    branch: 'tandem/7-add-two',
    gitDir: join(dir, gitDir),
    workTree: join(dir, workTree),
  });

describe('GitWorkspace', () => {
  it('checks the ticket branch out from the default branch with no .git in the work tree', async () => {
    const ws = await open();
    expect(ws.baseBranch).toBe('main');
    expect(ws.source).toBe('base');
    expect(await readdir(join(dir, 'ws'))).toEqual(['lib.js']);
    expect(await ws.head()).toBe(ws.baseCommit);
  });

  it('commits with the bot identity and trailers, and skips empty commits', async () => {
    const ws = await open();
    await writeFile(join(dir, 'ws', 'lib.test.js'), 'test\n');
    const sha = await ws.commit({ subject: 'test(#7): two', trailers: trailers('red', 1) });
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await ws.commit({ subject: 'nothing', trailers: trailers('green', 1) })).toBeNull();
    const log = await ws.log(ws.baseCommit);
    expect(log).toEqual([{ sha, subject: 'test(#7): two', trailers: trailers('red', 1) }]);
    const author = await runGit(['log', '-1', '--format=%an <%ae>|%cn <%ce>'], {
      gitDir: join(dir, 'gitdir'),
    });
    expect(author.stdout.trim()).toBe('Tandem <tandem@localhost>|Tandem <tandem@localhost>');
  });

  it('reports changed files and restores them to HEAD', async () => {
    const ws = await open();
    await writeFile(join(dir, 'ws', 'lib.js'), 'changed\n');
    await writeFile(join(dir, 'ws', 'new.js'), 'new\n');
    expect(await ws.changedFiles()).toEqual([
      { path: 'lib.js', change: 'modified' },
      { path: 'new.js', change: 'added' },
    ]);
    await ws.restore(['lib.js', 'new.js']);
    expect(await ws.changedFiles()).toEqual([]);
    expect(await readFile(join(dir, 'ws', 'lib.js'), 'utf8')).toBe('export const one = 1;\n');
  });

  it('lists and greps the work tree only; an invalid pattern is a FileToolError', async () => {
    const ws = await open();
    await writeFile(join(dir, 'ws', 'new.js'), 'export const two = 2;\n');
    await mkdir(join(dir, 'ws', 'sub'));
    await writeFile(join(dir, 'ws', 'sub', 'c.js'), 'export const three = 3;\n');
    expect(await ws.listFiles()).toEqual(['lib.js', 'new.js', 'sub/c.js']);
    expect(await ws.listFiles('sub')).toEqual(['sub/c.js']);
    // The process's own directory (this repository) is never searched.
    expect(await ws.grep('export const (one|two)')).toEqual([
      { path: 'lib.js', line: 1, text: 'export const one = 1;' },
      { path: 'new.js', line: 1, text: 'export const two = 2;' },
    ]);
    expect(await ws.grep('nothing here')).toEqual([]);
    const error = await ws.grep('(unclosed').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileToolError);
    expect(error).toMatchObject({ type: 'invalid_pattern', path: '(unclosed' });
    await rm(join(dir, 'ws', 'lib.js'));
    expect(await ws.listFiles()).toEqual(['new.js', 'sub/c.js']);
  });

  it('re-opens a workspace whose runner was killed mid-commit (stale lock files)', async () => {
    const ws = await open();
    await writeFile(join(dir, 'ws', 'lib.test.js'), 'test\n');
    await writeFile(join(dir, 'gitdir', 'index.lock'), '');
    await writeFile(join(dir, 'gitdir', 'refs', 'heads', 'tandem', '7-add-two.lock'), '');
    await expect(ws.commit({ subject: 'blocked', trailers: trailers('red', 1) })).rejects.toThrow(
      /index\.lock/,
    );
    const again = await open();
    expect(again.source).toBe('local');
    expect(await again.changedFiles()).toEqual([]);
    await writeFile(join(dir, 'ws', 'lib.test.js'), 'test\n');
    expect(await again.commit({ subject: 'test(#7): two', trailers: trailers('red', 1) })).toMatch(
      /^[0-9a-f]{40}$/,
    );
  });

  it('never runs hooks or an fsmonitor planted in the git directory', async () => {
    const ws = await open();
    const marker = join(dir, 'hook-ran');
    const hook = join(dir, 'gitdir', 'hooks', 'pre-commit');
    await mkdir(join(dir, 'gitdir', 'hooks'), { recursive: true });
    await writeFile(hook, `#!/bin/sh\ntouch ${marker}\n`);
    await chmod(hook, 0o755);
    await writeFile(join(dir, 'fsmonitor.sh'), `#!/bin/sh\ntouch ${marker}\n`);
    await chmod(join(dir, 'fsmonitor.sh'), 0o755);
    await execa('git', [
      '--git-dir',
      join(dir, 'gitdir'),
      'config',
      'core.fsmonitor',
      join(dir, 'fsmonitor.sh'),
    ]);
    await writeFile(join(dir, 'ws', 'x.js'), 'x\n');
    await ws.changedFiles();
    await ws.commit({ subject: 'feat(#7): x', trailers: trailers('green', 1) });
    await expect(stat(marker)).rejects.toThrow();
  });

  it('pins every program-running setting, even when the git directory names one', async () => {
    const ws = await open();
    const marker = join(dir, 'program-ran');
    const program = join(dir, 'program.sh');
    await writeFile(program, `#!/bin/sh\ntouch ${marker}\nexit 1\n`);
    await chmod(program, 0o755);
    const planted: Record<string, string> = {
      'core.pager': program,
      'core.editor': program,
      'core.sshCommand': program,
      'core.askPass': program,
      'diff.external': program,
      'gpg.program': program,
      'commit.gpgSign': 'true',
      'log.showSignature': 'true',
      'credential.helper': `!${program}`,
      'core.attributesFile': join(dir, 'attributes'),
      'filter.lfs.clean': program,
    };
    for (const [key, value] of Object.entries(planted)) {
      await execa('git', ['--git-dir', join(dir, 'gitdir'), 'config', key, value]);
    }
    // An attributes file outside the work tree that would route every file through a filter.
    await writeFile(join(dir, 'attributes'), '* filter=lfs\n');
    await writeFile(join(dir, 'ws', 'x.js'), 'x\n');
    await ws.changedFiles();
    await ws.diff();
    await ws.commit({ subject: 'feat(#7): x', trailers: trailers('green', 1) });
    await ws.log(ws.baseCommit);
    await ws.push();
    await expect(stat(marker)).rejects.toThrow();
  });

  it('pushes to a local repository and resumes from the pushed or local branch', async () => {
    const ws = await open();
    await writeFile(join(dir, 'ws', 'a.test.js'), 'a\n');
    const sha = await ws.commit({ subject: 'test(#7): a', trailers: trailers('red', 1) });
    await ws.push();
    const pushed = await execa('git', ['-C', source, 'rev-parse', 'refs/heads/tandem/7-add-two']);
    expect(pushed.stdout).toBe(sha);
    // Same git dir (a restarted worker on the same host): resumes from the local branch.
    await writeFile(join(dir, 'ws', 'leftover.js'), 'half-written\n');
    const again = await open();
    expect(again.source).toBe('local');
    expect(await again.head()).toBe(sha);
    expect(await again.changedFiles()).toEqual([]);
    // A fresh git dir (another worker): resumes from the remote branch.
    const fresh = await open('ws2', 'gitdir2');
    expect(fresh.source).toBe('remote');
    expect(await fresh.head()).toBe(sha);
    expect(fresh.baseCommit).toBe(ws.baseCommit);
  });

  it('refuses invalid branch names and credentials in the remote URL', async () => {
    await expect(
      GitWorkspace.open({
        remote: source,
        branch: 'bad..name',
        gitDir: join(dir, 'g'),
        workTree: join(dir, 'w'),
      }),
    ).rejects.toMatchObject({ code: 'git_invalid_ref_name' });
    await expect(
      GitWorkspace.open({
        remote: 'https://user:secret-token@example.invalid/r.git',
        branch: 'tandem/1-x',
        gitDir: join(dir, 'g'),
        workTree: join(dir, 'w'),
      }),
    ).rejects.toBeInstanceOf(GitCommandError);
  });

  it('pushes over HTTP with askpass credentials that never reach config, argv or errors', async () => {
    const root = join(dir, 'served');
    await execa('git', ['clone', '-q', '--bare', source, join(root, 'repo.git')]);
    const password = 'ghs_0123456789abcdefghijklmnop';
    const server = await startHttpGitServer(root, 'x-access-token', password);
    try {
      const ws = await GitWorkspace.open({
        remote: server.url('repo.git'),
        branch: 'tandem/7-http',
        gitDir: join(dir, 'hg'),
        workTree: join(dir, 'hw'),
        credentials: { username: 'x-access-token', password },
      });
      await writeFile(join(dir, 'hw', 'b.js'), 'b\n');
      const sha = await ws.commit({ subject: 'feat(#7): b', trailers: trailers('green', 1) });
      await ws.push();
      const remote = await execa('git', [
        '--git-dir',
        join(root, 'repo.git'),
        'rev-parse',
        'tandem/7-http',
      ]);
      expect(remote.stdout).toBe(sha);
      expect(server.authorizations.length).toBeGreaterThan(0);
      const config = await readFile(join(dir, 'hg', 'config'), 'utf8');
      expect(config).not.toContain(password);
      expect(await readFile(join(dir, 'hg', 'tandem', 'askpass.sh'), 'utf8')).not.toContain(
        password,
      );

      const wrong = await GitWorkspace.open({
        remote: server.url('repo.git'),
        branch: 'tandem/7-http',
        gitDir: join(dir, 'hg2'),
        workTree: join(dir, 'hw2'),
        credentials: { username: 'x-access-token', password: 'wrong-password-123' },
      }).catch((error: unknown) => error);
      expect(wrong).toBeInstanceOf(GitCommandError);
      expect(String((wrong as Error).message)).not.toContain('wrong-password-123');
    } finally {
      await server.close();
    }
  });
});
