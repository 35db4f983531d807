/**
 * Plain-file trees on the host: listing, copying, comparing and overlaying the file sets eval tasks are
 * made of (base release, reference change, hidden tests). Symlinks and special files are skipped
 * (listed trees come from release archives and from our own `git archive` output).
 */
import { cp, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Changed files: workspace-relative path → new content, or null for a deleted file. */
export type FileChanges = Map<string, Buffer | null>;

const SKIPPED = new Set(['.git', '.tandem-source', '.tandem-base']);

/** Every regular file under `root`, as sorted `/`-separated relative paths (`.git` skipped). */
export async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (SKIPPED.has(entry.name)) {
        continue;
      }
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        await walk(join(dir, entry.name), rel);
      } else if (entry.isFile()) {
        out.push(rel);
      }
    }
  };
  await walk(root, '');
  return out.sort();
}

/** Copies a tree (files and directories only) to a fresh `target`. */
export async function copyTree(source: string, target: string): Promise<void> {
  await rm(target, { recursive: true, force: true });
  await cp(source, target, {
    recursive: true,
    filter: async (src) => {
      const info = await lstat(src);
      return (info.isDirectory() || info.isFile()) && !SKIPPED.has(src.split('/').at(-1)!);
    },
  });
}

/** Writes `changes` into `root` (creating directories; null deletes). */
export async function applyChanges(root: string, changes: FileChanges): Promise<void> {
  for (const [path, content] of changes) {
    const target = join(root, path);
    if (content === null) {
      await rm(target, { force: true });
    } else {
      await mkdir(dirname(target), { recursive: true });
      await rm(target, { force: true, recursive: true });
      await writeFile(target, content);
    }
  }
}

/**
 * What turns tree `from` into tree `to`: added and modified files with their new content, deleted ones as
 * null. With `within`, only paths equal to or under one of those prefixes count.
 */
export async function diffTrees(
  from: string,
  to: string,
  within?: readonly string[],
): Promise<FileChanges> {
  const inScope = (p: string) =>
    !within || within.some((w) => p === w || p.startsWith(`${w.replace(/\/$/, '')}/`));
  const before = new Set((await listTree(from)).filter(inScope));
  const changes: FileChanges = new Map();
  for (const path of (await listTree(to)).filter(inScope)) {
    const next = await readFile(join(to, path));
    if (!before.has(path) || !next.equals(await readFile(join(from, path)))) {
      changes.set(path, next);
    }
    before.delete(path);
  }
  for (const path of before) {
    changes.set(path, null);
  }
  return changes;
}

/** True when `content` is UTF-8 text (no NUL byte, decodes without replacement characters). */
export function isText(content: Buffer): boolean {
  if (content.includes(0)) {
    return false;
  }
  return !new TextDecoder('utf-8', { fatal: false }).decode(content).includes('\uFFFD');
}
