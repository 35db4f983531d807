/**
 * Assembles what a task is made of on the host: the base tree the agents start from, the hidden test
 * files, and the reference change. Two kinds of task:
 * - a release pair (`source`): base and reference are unpacked releases from the fetch step; the hidden
 *   tests are files of the reference; the reference change is every file that differs (or those under
 *   `source.paths`);
 * - a git repository (`base_commit`, SWE-bench): the base is `git archive` of that commit; the hidden tests
 *   are the files `test_patch` touches once applied, the reference change the files `patch` touches.
 */
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import { EvalError } from '../errors/index.js';
import type { EvalTask } from './eval-task.js';
import { copyTree, diffTrees, type FileChanges } from './tree-files.js';

/** A task ready to run or validate. */
export interface PreparedTask {
  task: EvalTask;
  /** The base tree (no `.git`); never modified by callers. */
  baseDir: string;
  /** Hidden test files: path → content, or null when the test patch deletes the file. */
  hidden: FileChanges;
  /** The reference change (empty when the task gives none). */
  reference: FileChanges;
}

/** Options of {@link prepareTask}. */
export interface PrepareTaskOptions {
  /** Unpacked release trees by source name (from `fetchSources`). */
  trees: ReadonlyMap<string, string>;
  /** Where git tasks' clones and base trees are cached. */
  cacheDir: string;
  /** Local clones of SWE-bench repositories, as `<reposDir>/<owner>__<name>` (checked before GitHub). */
  reposDir?: string;
}

/** Builds the {@link PreparedTask}. @throws EvalError `prepare_failed` with what is missing. */
export async function prepareTask(
  task: EvalTask,
  options: PrepareTaskOptions,
): Promise<PreparedTask> {
  return task.source ? prepareRelease(task, options) : prepareGit(task, options);
}

async function prepareRelease(task: EvalTask, options: PrepareTaskOptions): Promise<PreparedTask> {
  const source = task.source!;
  const tree = (name: string) => {
    const dir = options.trees.get(name);
    if (!dir) {
      throw new EvalError(
        'prepare_failed',
        `source ${name} is not fetched (run tandem eval fetch)`,
        task.instance_id,
      );
    }
    return dir;
  };
  const referenceDir = tree(source.reference);
  let baseDir = tree(source.base);
  if (source.overlay.length > 0 || source.remove.length > 0) {
    baseDir = await composeBase(task, baseDir, tree, options.cacheDir);
  }
  const hidden: FileChanges = new Map();
  for (const path of task.hidden_tests ?? []) {
    const content = await readFile(join(referenceDir, path)).catch(() => null);
    if (content === null) {
      throw new EvalError(
        'prepare_failed',
        `hidden test ${path} is not in ${source.reference}`,
        task.instance_id,
      );
    }
    hidden.set(path, content);
  }
  const reference = await diffTrees(baseDir, referenceDir, source.paths);
  return { task, baseDir, hidden, reference };
}

/** The base of a task with overlays or removals, made once in `<cache>/bases/<instance_id>/`. */
async function composeBase(
  task: EvalTask,
  from: string,
  tree: (name: string) => string,
  cacheDir: string,
): Promise<string> {
  const source = task.source!;
  const dir = join(cacheDir, 'bases', task.instance_id);
  const stamp = JSON.stringify(source);
  if ((await readFile(join(dir, '.tandem-base'), 'utf8').catch(() => null)) === stamp) {
    return dir;
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  await copyTree(from, tmp);
  for (const o of source.overlay) {
    const origin = join(tree(o.source), o.from);
    if (!(await exists(origin))) {
      await rm(tmp, { recursive: true, force: true });
      throw new EvalError(
        'prepare_failed',
        `overlay ${o.from} is not in ${o.source}`,
        task.instance_id,
      );
    }
    await rm(join(tmp, o.to), { recursive: true, force: true });
    await mkdir(dirname(join(tmp, o.to)), { recursive: true });
    await cp(origin, join(tmp, o.to), { recursive: true });
  }
  for (const path of source.remove) {
    await rm(join(tmp, path), { recursive: true, force: true });
  }
  await writeFile(join(tmp, '.tandem-base'), stamp);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return dir;
}

async function prepareGit(task: EvalTask, options: PrepareTaskOptions): Promise<PreparedTask> {
  const id = task.instance_id;
  const commit = task.base_commit!;
  const baseDir = join(options.cacheDir, 'bases', id);
  if (!(await exists(join(baseDir, '.tandem-base')))) {
    const gitDir = await cloneOf(task, options);
    const tmp = `${baseDir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const archived = await execa('git', ['--git-dir', gitDir, 'archive', '--format=tar', commit], {
      reject: false,
    }).pipe('tar', ['-x', '-C', tmp], { reject: false });
    if (archived.exitCode !== 0) {
      await rm(tmp, { recursive: true, force: true });
      throw new EvalError('prepare_failed', `git archive ${commit} failed: ${archived.stderr}`, id);
    }
    await writeFile(join(tmp, '.tandem-base'), `${commit}\n`);
    await rm(baseDir, { recursive: true, force: true });
    await rename(tmp, baseDir);
  }
  const none: FileChanges = new Map();
  const hidden = task.test_patch ? await patchedFiles(baseDir, task.test_patch, id) : none;
  const reference = task.patch
    ? await patchedFiles(baseDir, task.patch, id)
    : new Map<string, Buffer | null>();
  return { task, baseDir, hidden, reference };
}

/** A bare clone holding the task's repository (made once per repository in the cache). */
async function cloneOf(task: EvalTask, options: PrepareTaskOptions): Promise<string> {
  const key = task.repo.replace(/[^A-Za-z0-9._-]/g, '__');
  const gitDir = join(options.cacheDir, 'repos', `${key}.git`);
  if (await exists(join(gitDir, 'HEAD'))) {
    return gitDir;
  }
  let url = task.repo;
  if (!isAbsolute(url) && !url.includes(':')) {
    const local = options.reposDir ? join(options.reposDir, task.repo.replace('/', '__')) : '';
    url = local && (await exists(local)) ? local : `https://github.com/${task.repo}.git`;
  }
  await mkdir(join(options.cacheDir, 'repos'), { recursive: true });
  const cloned = await execa('git', ['clone', '--bare', '--quiet', '--', url, gitDir], {
    reject: false,
  });
  if (cloned.exitCode !== 0) {
    await rm(gitDir, { recursive: true, force: true });
    throw new EvalError(
      'prepare_failed',
      `git clone ${url} failed: ${cloned.stderr.trim()}`,
      task.instance_id,
    );
  }
  return gitDir;
}

/** Applies `patch` to a copy of `baseDir` and returns the files it touches with their new content. */
async function patchedFiles(baseDir: string, patch: string, id: string): Promise<FileChanges> {
  const dir = await mkdtemp(`${baseDir}.patch-`);
  try {
    const tree = join(dir, 'tree');
    await copyTree(baseDir, tree);
    await writeFile(join(dir, 'change.diff'), patch);
    const applied = await execa(
      'git',
      ['apply', '--whitespace=nowarn', '--', join(dir, 'change.diff')],
      // The ceiling keeps git from finding a repository around the cache and applying there.
      { cwd: tree, reject: false, env: { GIT_CEILING_DIRECTORIES: dir } },
    );
    if (applied.exitCode !== 0) {
      throw new EvalError('prepare_failed', `patch does not apply: ${applied.stderr.trim()}`, id);
    }
    const changes: FileChanges = new Map();
    for (const path of touchedPaths(patch)) {
      changes.set(path, await readFile(join(tree, path)).catch(() => null));
    }
    return changes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Paths a unified git diff touches (old and new names of renames). */
export function touchedPaths(patch: string): string[] {
  const paths = new Set<string>();
  for (const m of patch.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)) {
    paths.add(m[1]!);
    paths.add(m[2]!);
  }
  return [...paths].sort();
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}
