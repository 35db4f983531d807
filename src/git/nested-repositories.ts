/**
 * Nested repositories in a work tree: the entries host git would treat as a repository of their own
 * (`.git` directories, `.git` files such as `gitdir: ../elsewhere`, `.git` symlinks) or refuse outright
 * (the `.git` look-alikes that `core.protectNTFS`/`core.protectHFS` reject, and a `.gitmodules` that is
 * not a regular file), which would make `git add` fail on every later commit.
 *
 * A process in the sandbox can make any of them. Host git must never meet one: a gitlink makes `status`,
 * `diff` and `add` run git inside the nested repository with that repository's own config (filters,
 * `core.fsmonitor`, `core.sshCommand`), i.e. run sandbox-written commands on the host. The workspace
 * removes them before every git command that reads the work tree and reports what it removed.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Code points HFS+ ignores in file names (git's `is_hfs_dotgit` list): `.g\u200cit` is `.git` there.
 * Source: git's utf8.c, `next_hfs_char`.
 */
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * True for a file name host git treats as, or refuses as, a git directory: `.git` in any case, with
 * HFS-ignored code points, with the trailing dots and spaces or the `:stream` suffix NTFS drops, and the
 * NTFS short name `git~1` (git's `is_ntfs_dotgit` and `is_hfs_dotgit`).
 */
export function isGitDirName(name: string): boolean {
  return /^(\.git[. ]*(:.*)?|git~1)$/i.test(name.replace(HFS_IGNORED, ''));
}

/** One entry found by {@link findNestedRepositories}, relative to the work tree with `/` separators. */
export interface NestedRepositoryEntry {
  path: string;
  kind: 'directory' | 'file' | 'symlink' | 'other';
}

/**
 * Walks `workTree` without following symlinks and returns every `.git`-like entry (see
 * {@link isGitDirName}) at any depth, the top level included, and every `.gitmodules` that is not a
 * regular file. Entries inside a found `.git` directory are not listed (it goes as a whole).
 * Directories that vanish during the walk are skipped; other file system errors are thrown.
 */
export async function findNestedRepositories(workTree: string): Promise<NestedRepositoryEntry[]> {
  const found: NestedRepositoryEntry[] = [];
  const visit = async (dir: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        return;
      }
      throw error;
    }
    for (const entry of entries) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const kind = kindOf(entry);
      if (isGitDirName(entry.name)) {
        found.push({ path, kind });
      } else if (entry.name.toLowerCase() === '.gitmodules' && kind !== 'file') {
        found.push({ path, kind });
      } else if (kind === 'directory') {
        await visit(join(dir, entry.name), path);
      }
    }
  };
  await visit(workTree, '');
  return found;
}

/**
 * Removes every entry {@link findNestedRepositories} finds (a directory with its contents; a symlink
 * itself, never its target) and returns their paths, sorted. Parents are the real directories the walk
 * just listed, and `rm` never follows a symlink inside what it removes.
 */
export async function removeNestedRepositories(workTree: string): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await findNestedRepositories(workTree)) {
    // A parent swapped for a symlink since the walk would lead outside (and git does not follow it).
    if (await hasSymlinkParent(workTree, entry.path)) {
      continue;
    }
    await rm(join(workTree, ...entry.path.split('/')), { recursive: true, force: true });
    removed.push(entry.path);
  }
  return removed.sort();
}

function kindOf(entry: Dirent): NestedRepositoryEntry['kind'] {
  if (entry.isDirectory()) {
    return 'directory';
  }
  if (entry.isFile()) {
    return 'file';
  }
  return entry.isSymbolicLink() ? 'symlink' : 'other';
}

/** True when a parent directory of `rel` (below `root`) is not a real directory any more. */
export async function hasSymlinkParent(root: string, rel: string): Promise<boolean> {
  const segments = rel.split('/');
  let dir = root;
  for (const segment of segments.slice(0, -1)) {
    dir = join(dir, segment);
    const info = await lstat(dir).catch(() => undefined);
    if (!info?.isDirectory()) {
      return true;
    }
  }
  return false;
}
