import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileToolError, WorkspaceEscapeError } from '../errors/index.js';
import { WorkspaceFiles } from './workspace-files.js';

let base: string;
let root: string;
let outside: string;
let files: WorkspaceFiles;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'tandem-wsf-'));
  root = join(base, 'workspace');
  outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'top secret\n');
  files = await WorkspaceFiles.open(root);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function refused(promise: Promise<unknown>, type: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkspaceEscapeError);
  expect((error as WorkspaceEscapeError).type).toBe(type);
  expect((error as WorkspaceEscapeError).code).toBe('workspace_escape');
}

describe('WorkspaceFiles', () => {
  it('writes (creating parents), reads, lists sorted and searches', async () => {
    await files.writeFile('src/a/b.ts', 'export const b = 1;\n');
    await files.writeFile('src/index.ts', 'import { b } from "./a/b.js";\nconsole.log(b);\n');
    await files.writeFile('README.md', '# demo\n');
    await files.writeFile('src/index.ts', 'short\n'); // overwrite truncates
    expect(await files.readFile('src/index.ts')).toBe('short\n');
    expect(await files.readFile('./src//a/b.ts')).toBe('export const b = 1;\n');
    expect(await files.list()).toEqual(['README.md', 'src/a/b.ts', 'src/index.ts']);
    expect(await files.list('src/a')).toEqual(['src/a/b.ts']);
    expect(await files.search('const \\w+ =')).toEqual([
      { path: 'src/a/b.ts', line: 1, text: 'export const b = 1;' },
    ]);
    expect(await files.search('demo|short', { maxResults: 1 })).toHaveLength(1);
  });

  it('refuses .., absolute paths, NUL bytes and .git, touching nothing', async () => {
    await refused(files.readFile('../outside/secret.txt'), 'outside_workspace');
    await refused(files.readFile('src/../../outside/secret.txt'), 'outside_workspace');
    await refused(files.readFile(join(outside, 'secret.txt')), 'outside_workspace');
    await refused(files.writeFile('/tmp/planted', 'x'), 'outside_workspace');
    await refused(files.writeFile('a\0b', 'x'), 'invalid_path');
    await refused(files.writeFile('.git/hooks/pre-commit', 'x'), 'invalid_path');
    await refused(files.list('..'), 'outside_workspace');
    await refused(files.search('x', { dir: '../outside' }), 'outside_workspace');
    expect(await files.list()).toEqual([]);
  });

  it('refuses symlinks that resolve outside, for reading, writing, listing and through parents', async () => {
    await symlink(join(outside, 'secret.txt'), join(root, 'link.txt'));
    await symlink(outside, join(root, 'dir-link'));
    await symlink('../outside/secret.txt', join(root, 'relative-link.txt'));
    await refused(files.readFile('link.txt'), 'outside_workspace');
    await refused(files.readFile('relative-link.txt'), 'outside_workspace');
    await refused(files.readFile('dir-link/secret.txt'), 'outside_workspace');
    await refused(files.writeFile('link.txt', 'overwritten'), 'outside_workspace');
    await refused(files.writeFile('dir-link/new.txt', 'planted'), 'outside_workspace');
    await refused(files.list('dir-link'), 'outside_workspace');
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('top secret\n');
    // A symlink entry is listed, but never followed by search.
    expect(await files.list()).toEqual(['dir-link', 'link.txt', 'relative-link.txt']);
    expect(await files.search('secret')).toEqual([]);
  });

  it('follows a symlink that stays inside the workspace', async () => {
    await files.writeFile('docs/real.md', 'one\n');
    await symlink('docs/real.md', join(root, 'alias.md'));
    expect(await files.readFile('alias.md')).toBe('one\n');
    await files.writeFile('alias.md', 'two\n');
    expect(await files.readFile('docs/real.md')).toBe('two\n');
  });

  it('reports missing, non-regular, too large files and bad patterns as FileToolError', async () => {
    const small = await WorkspaceFiles.open(root, { maxReadBytes: 10 });
    await files.writeFile('big.txt', 'x'.repeat(11));
    await mkdir(join(root, 'dir'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => files.readFile('nope.txt'), 'not_found'],
      [() => files.readFile('dir'), 'not_a_file'],
      [() => files.readFile('fifo'), 'not_a_file'],
      [() => small.readFile('big.txt'), 'too_large'],
      [() => files.writeFile('dir', 'x'), 'not_a_file'],
      [() => files.writeFile('big.txt/child', 'x'), 'not_a_file'],
      [() => files.list('nope'), 'not_found'],
      [() => files.search('(unclosed'), 'invalid_pattern'],
    ];
    for (const [run, type] of cases) {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, type).toBeInstanceOf(FileToolError);
      expect((error as FileToolError).type).toBe(type);
    }
  });

  it('skips binary files, big files, .git and node_modules when searching and listing', async () => {
    const tight = await WorkspaceFiles.open(root, { maxSearchBytes: 100 });
    await writeFile(join(root, 'bin.dat'), Buffer.from([0x6e, 0x65, 0x65, 0x64, 0x6c, 0x65, 0, 1]));
    await writeFile(join(root, 'big.txt'), `needle\n${'x'.repeat(200)}`);
    await mkdir(join(root, 'node_modules/pkg'), { recursive: true });
    await writeFile(join(root, 'node_modules/pkg/index.js'), 'needle');
    await mkdir(join(root, '.git'));
    await writeFile(join(root, '.git/config'), 'needle');
    await writeFile(join(root, 'ok.txt'), 'a\nneedle here\n');
    expect(await tight.search('needle')).toEqual([
      { path: 'ok.txt', line: 2, text: 'needle here' },
    ]);
    expect(await files.list()).toEqual(['big.txt', 'bin.dat', 'ok.txt']);
  });

  it('stops a catastrophically backtracking pattern within its time budget', async () => {
    const quick = await WorkspaceFiles.open(root, { searchBudgetMs: 200 });
    await writeFile(join(root, 'a.txt'), `${'a'.repeat(40)}b\n`);
    const started = Date.now();
    const error = await quick.search('^(a+)+$').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileToolError);
    expect((error as FileToolError).type).toBe('invalid_pattern');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
