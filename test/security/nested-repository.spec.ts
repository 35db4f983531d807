/**
 * Code in the sandbox makes a git repository inside the workspace whose own config names a command
 * (a clean filter, `core.sshCommand`, `core.fsmonitor`), or a `.gitmodules` that git rejects. Host git
 * must never run that command, nor break: each test plants the attack with `sandbox.exec` (real Docker,
 * as the sandbox user), then drives the host-side operations the pair engine uses (`changedFiles`,
 * `diff`, `commit`, `push`, `GitWorkspace.open` again) with real git, and asserts that the marker file
 * the command would create on the host does not exist.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GitWorkspace } from '../../src/git/git-workspace.js';
import { exists, git, stage, type Stage } from './security-harness.js';

let s: Stage | undefined;

afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

const trailers = {
  'Tandem-Ticket': '7',
  'Tandem-Role': 'developer',
  'Tandem-Model': 'scripted',
  'Tandem-Phase': 'green',
  'Tandem-Cycle': '1',
};

/** Every host-side operation that reads the work tree, as the engine calls them. */
async function hostWork(stage: Stage, subject: string): Promise<void> {
  await stage.workspace.changedFiles();
  await stage.workspace.diff();
  await stage.workspace.listFiles();
  await stage.workspace.grep('anything');
  await stage.workspace.commit({ subject, trailers });
  await stage.workspace.push();
}

/** The gitlinks (mode 160000) of a commit of the source repository. */
async function gitlinks(source: string, rev: string): Promise<string[]> {
  const tree = await git(source, 'ls-tree', '-r', rev);
  return tree
    .split('\n')
    .filter((line) => line.startsWith('160000 '))
    .map((line) => line.split('\t')[1] ?? '');
}

/**
 * Gives the source repository a submodule at `vendor/lib` (a real gitlink to a commit of `<dir>/lib`),
 * with its `.gitmodules` entry when `withGitmodules`, as a repository with a vendored submodule has.
 */
async function addSubmodule(source: string, dir: string, withGitmodules: boolean): Promise<void> {
  const lib = join(dir, 'lib');
  await git(dir, 'init', '-q', '-b', 'main', lib);
  await git(lib, 'commit', '-q', '--allow-empty', '-m', 'lib');
  const sha = (await git(lib, 'rev-parse', 'HEAD')).trim();
  await git(source, 'update-index', '--add', '--cacheinfo', `160000,${sha},vendor/lib`);
  if (withGitmodules) {
    await git(source, 'config', '-f', '.gitmodules', 'submodule.lib.path', 'vendor/lib');
    await git(source, 'config', '-f', '.gitmodules', 'submodule.lib.url', lib);
    await git(source, 'add', '.gitmodules');
  }
  await git(source, 'commit', '-qm', 'vendor lib');
}

/**
 * A script that makes `<dir>` a git repository with a clean filter running `touch <marker>` (a host
 * path: in the container it fails, the read-only root has no such directory), commits in it, and
 * leaves a change behind so the next `git status` would refresh its index through the filter.
 */
const plantFilterRepo = (dir: string, marker: string): string =>
  [
    `git init -q ${dir}`,
    `cd ${dir}`,
    `git config filter.x.clean 'touch ${marker} 2>/dev/null; cat'`,
    `git config filter.x.smudge 'touch ${marker} 2>/dev/null; cat'`,
    `git config core.fsmonitor 'touch ${marker} 2>/dev/null; false'`,
    `echo '* filter=x' > .gitattributes`,
    'echo a > a',
    'git add -A',
    'git -c user.name=a -c user.email=a@a commit -qm nested',
    'echo b >> a',
  ].join(' && ');

describe('a nested repository planted by the sandbox never runs on the host', () => {
  it('a nested repository with a clean filter: status, diff, add and commit stay on the host', async () => {
    s = await stage();
    const marker = join(s.dir, 'PWNED-filter');
    const planted = await s.sh(plantFilterRepo('sub', marker));
    expect(planted.exitCode, planted.stderr).toBe(0);
    // The first commit would record `sub` as a gitlink; the next touch and status would run the filter.
    await hostWork(s, 'feat(#7): first');
    const touched = await s.sh('echo c >> sub/a');
    expect(touched.exitCode).toBe(0);
    await hostWork(s, 'feat(#7): second');
    expect(await exists(marker)).toBe(false);
    // The nested repository was removed and reported; its files are data, and no gitlink was committed.
    expect(s.workspace.takeRemovedRepositories()).toEqual(['sub/.git']);
    expect(await gitlinks(s.source, 'tandem/7-attack')).toEqual([]);
    expect(await git(s.source, 'show', 'tandem/7-attack:sub/a')).toBe('a\nb\nc');
  });

  it('a .git file pointing at a git directory elsewhere in the workspace', async () => {
    s = await stage();
    const marker = join(s.dir, 'PWNED-gitfile');
    const planted = await s.sh(
      [
        plantFilterRepo('sub', marker),
        'cd /workspace',
        'mv sub/.git .hidden',
        "printf 'gitdir: ../.hidden\\n' > sub/.git",
        'git -C sub status --porcelain >/dev/null',
      ].join(' && '),
    );
    expect(planted.exitCode, planted.stderr).toBe(0);
    await hostWork(s, 'feat(#7): first');
    await s.sh('echo c >> sub/a');
    await hostWork(s, 'feat(#7): second');
    expect(await exists(marker)).toBe(false);
    expect(s.workspace.takeRemovedRepositories()).toEqual(['sub/.git']);
    expect(await gitlinks(s.source, 'tandem/7-attack')).toEqual([]);
  });

  it("a repository with a submodule: one sandbox command in the submodule's directory and the next status", async () => {
    s = await stage({ prepare: (source, dir) => addSubmodule(source, dir, true) });
    const marker = join(s.dir, 'PWNED-submodule');
    // The gitlink was checked out as an empty directory; the sandbox makes it a repository.
    const planted = await s.sh(`rmdir vendor/lib && ${plantFilterRepo('vendor/lib', marker)}`);
    expect(planted.exitCode, planted.stderr).toBe(0);
    await hostWork(s, 'feat(#7): first');
    expect(await exists(marker)).toBe(false);
    expect(s.workspace.takeRemovedRepositories()).toEqual(['vendor/lib/.git']);
    // The repository's own gitlink is kept as it was: never re-staged from the sandbox's files.
    const links = await gitlinks(s.source, 'tandem/7-attack');
    expect(links).toEqual(['vendor/lib']);
    expect(await git(s.source, 'rev-parse', 'tandem/7-attack:vendor/lib')).toBe(
      await git(s.source, 'rev-parse', 'main:vendor/lib'),
    );
  });

  it('.gitmodules asking to fetch submodules and a nested core.sshCommand: re-opening the workspace fetches nothing of it', async () => {
    s = await stage({ prepare: (source, dir) => addSubmodule(source, dir, false) });
    const marker = join(s.dir, 'PWNED-ssh');
    const planted = await s.sh(
      [
        'printf \'[submodule "lib"]\\n\\tpath = vendor/lib\\n\\turl = ssh://example.invalid/lib\\n\\tfetchRecurseSubmodules = true\\n\' > .gitmodules',
        'rmdir vendor/lib',
        'git init -q vendor/lib',
        'cd vendor/lib',
        'git remote add origin ssh://example.invalid/lib',
        `git config core.sshCommand 'touch ${marker} 2>/dev/null; false'`,
        'git -c user.name=a -c user.email=a@a commit -q --allow-empty -m x',
      ].join(' && '),
    );
    expect(planted.exitCode, planted.stderr).toBe(0);
    // A resumed job opens the same work tree again: fetch, checkout, clean.
    const reopened = await s.reopen().catch((error: unknown) => error);
    expect(await exists(marker)).toBe(false);
    expect(reopened).toBeInstanceOf(GitWorkspace);
    s.workspace = reopened as GitWorkspace;
    expect(s.workspace.takeRemovedRepositories()).toEqual(['vendor/lib/.git']);
  });

  it('.gitmodules with update = !command in the work tree breaks no git command', async () => {
    s = await stage({ prepare: (source, dir) => addSubmodule(source, dir, false) });
    const marker = join(s.dir, 'PWNED-update');
    await s.sh(
      `printf '[submodule "lib"]\\n\\tpath = vendor/lib\\n\\turl = ./lib\\n\\tupdate = !touch ${marker}\\n' > .gitmodules && echo x > x.js`,
    );
    // Before: "fatal: invalid value for 'submodule.lib.update'" from status and diff.
    expect((await s.workspace.changedFiles()).map((f) => f.path)).toEqual(['.gitmodules', 'x.js']);
    await expect(s.workspace.diff()).resolves.toBe('');
    await expect(s.workspace.commit({ subject: 'feat(#7): x', trailers })).resolves.toMatch(
      /^[0-9a-f]{40}$/,
    );
    expect(await exists(marker)).toBe(false);
  });
});
