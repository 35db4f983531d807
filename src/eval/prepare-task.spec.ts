import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EvalError } from '../errors/index.js';
import { EvalTask } from './eval-task.js';
import { prepareTask, touchedPaths } from './prepare-task.js';
import { listTree } from './tree-files.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-eval-prepare-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tree(name: string, files: Record<string, string>): Promise<string> {
  const root = join(dir, name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

const task = (source: Record<string, unknown>, hidden = ['tests/test_new.py']) =>
  EvalTask.parse({
    instance_id: 'pkg-new',
    repo: 'pkg',
    problem_statement: 'Add new().',
    source,
    hidden_tests: hidden,
    FAIL_TO_PASS: ['tests/test_new.py::test_new'],
    test_command: ['python3', '-m', 'pytest', '--junitxml={junit}'],
  });

describe('prepareTask (release pairs)', () => {
  it('composes the base from the newer tree, the older code and removals; hidden tests and reference from the newer tree', async () => {
    const newer = await tree('newer', {
      'src/pkg/__init__.py': 'def old(): pass\ndef new(): pass\n',
      'tests/test_old.py': 'old tests',
      'tests/test_new.py': 'new tests',
      'README.md': 'readme 2',
    });
    const older = await tree('older-deb', {
      'usr/lib/python3/dist-packages/pkg/__init__.py': 'def old(): pass\n',
    });
    const prepared = await prepareTask(
      task({
        base: 'newer',
        reference: 'newer',
        overlay: [{ source: 'older', from: 'usr/lib/python3/dist-packages/pkg', to: 'src/pkg' }],
        remove: ['tests/test_new.py'],
      }),
      {
        trees: new Map([
          ['newer', newer],
          ['older', older],
        ]),
        cacheDir: join(dir, 'cache'),
      },
    );
    expect(await listTree(prepared.baseDir)).toEqual([
      'README.md',
      'src/pkg/__init__.py',
      'tests/test_old.py',
    ]);
    expect(await readFile(join(prepared.baseDir, 'src/pkg/__init__.py'), 'utf8')).toBe(
      'def old(): pass\n',
    );
    expect([...prepared.hidden.keys()]).toEqual(['tests/test_new.py']);
    expect([...prepared.reference].map(([p, c]) => [p, c?.toString()])).toEqual([
      ['src/pkg/__init__.py', 'def old(): pass\ndef new(): pass\n'],
      ['tests/test_new.py', 'new tests'],
    ]);
    // The newer tree itself is never touched.
    expect(await stat(join(newer, 'tests/test_new.py'))).toBeTruthy();
  });

  it('says which source is missing and which hidden file the reference lacks', async () => {
    const newer = await tree('newer', { 'a.py': '' });
    const missing = await prepareTask(task({ base: 'gone', reference: 'newer' }), {
      trees: new Map([['newer', newer]]),
      cacheDir: join(dir, 'cache'),
    }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(EvalError);
    expect((missing as EvalError).message).toContain('source gone is not fetched');
    const noHidden = await prepareTask(task({ base: 'newer', reference: 'newer' }), {
      trees: new Map([['newer', newer]]),
      cacheDir: join(dir, 'cache'),
    }).catch((e: unknown) => e);
    expect((noHidden as EvalError).message).toContain(
      'hidden test tests/test_new.py is not in newer',
    );
  });
});

describe('touchedPaths', () => {
  it('lists the files of a git diff, both names of a rename', () => {
    expect(
      touchedPaths(
        'diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\ndiff --git a/old.py b/new.py\nrename from old.py\n',
      ),
    ).toEqual(['new.py', 'old.py', 'x.py']);
  });
});
