import { constants } from 'node:fs';
import {
  lchown,
  mkdir,
  open,
  readdir,
  readlink,
  realpath,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { FileToolError, WorkspaceEscapeError } from '../errors/index.js';
import { LineMatcher } from './regex-search.js';
import type { SearchMatch } from './types.js';
import { SKIPPED_DIRS, isInside, parseWorkspacePath, realPathInside } from './workspace-path.js';

/** Owner given to files and directories the tools create, when the worker runs as root. */
export interface FileOwner {
  uid: number;
  gid: number;
}

/** Options of {@link WorkspaceFiles.open}. */
export interface WorkspaceFilesOptions {
  /** Largest file `readFile` returns, in bytes (default 1 MiB). */
  maxReadBytes?: number;
  /** Largest file `search` looks into, in bytes (default 1 MiB). */
  maxSearchBytes?: number;
  /** Total time one `search` may spend matching, in ms (default 5,000). */
  searchBudgetMs?: number;
  /** chown created files to this owner (only effective when the process runs as root). */
  owner?: FileOwner;
}

const MiB = 1024 * 1024;
const READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const WRITE = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * The sandbox file tools, run on the host side of the workspace bind mount and confined to it.
 *
 * Every path is checked lexically first (`parseWorkspacePath`: no `..`, absolute paths, NUL bytes or
 * `.git`), then by `realpath` (symlinks must resolve inside the workspace). Files are opened with
 * `O_NOFOLLOW | O_NONBLOCK` (no symlink swap on the last component, no hang on a FIFO) and the opened
 * descriptor is checked again through `/proc/self/fd`, so a process in the container that swaps a
 * directory for a symlink between the check and the open cannot make the tools read or truncate a file
 * outside. Errors: `WorkspaceEscapeError` for refused paths, `FileToolError` for the rest.
 */
export class WorkspaceFiles {
  private constructor(
    /** Real path of the workspace root. */
    readonly root: string,
    private readonly options: Required<Omit<WorkspaceFilesOptions, 'owner'>> & {
      owner: FileOwner | undefined;
    },
  ) {}

  /** Opens the tools over an existing directory (resolving its real path once). */
  static async open(root: string, options: WorkspaceFilesOptions = {}): Promise<WorkspaceFiles> {
    const real = await realpath(root);
    const isRoot = process.getuid?.() === 0;
    return new WorkspaceFiles(real, {
      maxReadBytes: options.maxReadBytes ?? MiB,
      maxSearchBytes: options.maxSearchBytes ?? MiB,
      searchBudgetMs: options.searchBudgetMs ?? 5_000,
      owner: isRoot ? options.owner : undefined,
    });
  }

  /** Reads a UTF-8 file by workspace-relative path. */
  async readFile(path: string): Promise<string> {
    const segments = parseWorkspacePath(path);
    const real = await realPathInside(this.root, segments, path);
    if (real === undefined) {
      throw new FileToolError('not_found', path, `no such file: ${path}`);
    }
    const handle = await this.openChecked(real, READ, path);
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) {
        throw new FileToolError('not_a_file', path, `not a regular file: ${path}`);
      }
      const tooLarge = (size: number | string): FileToolError =>
        new FileToolError(
          'too_large',
          path,
          `${path} is ${size} bytes, over the ${this.options.maxReadBytes}-byte limit`,
        );
      if (stat.size > this.options.maxReadBytes) {
        throw tooLarge(stat.size);
      }
      // Read at most one byte past the limit: the file may still be growing after fstat.
      const buffer = await readAtMost(handle, this.options.maxReadBytes + 1);
      if (buffer.length > this.options.maxReadBytes) {
        throw tooLarge(`more than ${this.options.maxReadBytes}`);
      }
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  }

  /** Writes a UTF-8 file by workspace-relative path, creating parent directories. */
  async writeFile(path: string, content: string): Promise<void> {
    const segments = parseWorkspacePath(path);
    const name = segments.at(-1);
    if (name === undefined) {
      throw new FileToolError('not_a_file', path, 'the workspace root is a directory');
    }
    let parent = this.root;
    for (let i = 0; i < segments.length - 1; i++) {
      const real = await realPathInside(this.root, segments.slice(0, i + 1), path);
      if (real === undefined) {
        parent = join(parent, segments[i] ?? '');
        await mkdir(parent).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOTDIR') {
            throw new FileToolError('not_a_file', path, `a parent of ${path} is not a directory`);
          }
          throw error;
        });
        await this.chown(parent);
      } else {
        parent = real;
      }
    }
    let target = join(parent, name);
    let handle: FileHandle;
    try {
      handle = await this.openChecked(target, WRITE, path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EISDIR') {
        throw new FileToolError('not_a_file', path, `${path} is a directory`);
      }
      if (code === 'ENOTDIR') {
        throw new FileToolError('not_a_file', path, `a parent of ${path} is not a directory`);
      }
      if (code !== 'ELOOP') {
        throw error;
      }
      // The last component is a symlink: write through it only when it resolves inside the workspace.
      const real = await realPathInside(this.root, segments, path);
      if (real === undefined) {
        throw new WorkspaceEscapeError('invalid_path', path, 'it is a symlink to nothing');
      }
      target = real;
      handle = await this.openChecked(target, WRITE, path);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) {
        throw new FileToolError('not_a_file', path, `not a regular file: ${path}`);
      }
      await handle.truncate(0);
      await handle.writeFile(content, { encoding: 'utf8' });
      if (this.options.owner && stat.uid !== this.options.owner.uid) {
        await handle.chown(this.options.owner.uid, this.options.owner.gid);
      }
    } finally {
      await handle.close();
    }
  }

  /**
   * Lists files (regular files and symlinks) under a workspace-relative directory, recursively, sorted,
   * with `/` separators. Skips `.git` and `node_modules`. At most `maxResults` (default 5,000).
   */
  async list(dir = '', options: { maxResults?: number } = {}): Promise<string[]> {
    const files = await this.walk(dir, options.maxResults ?? 5_000, true);
    return files.map((f) => f.path).sort();
  }

  /**
   * Searches regular files under `dir` for a JavaScript regular expression, line by line. Skips binary
   * files (a NUL byte in the first 8 KiB) and files over `maxSearchBytes`; symlinks are not followed.
   * Matching runs under a time budget (`searchBudgetMs`) so a catastrophic pattern cannot stall the
   * worker: it throws `FileToolError` (`invalid_pattern`). At most `maxResults` (default 200) matches.
   */
  async search(
    pattern: string,
    options: { dir?: string; maxResults?: number } = {},
  ): Promise<SearchMatch[]> {
    let regex: RegExp;
    try {
      regex = new RegExp(pattern);
    } catch (error) {
      throw new FileToolError(
        'invalid_pattern',
        pattern,
        `invalid regular expression: ${pattern}`,
        {
          cause: error,
        },
      );
    }
    const maxResults = options.maxResults ?? 200;
    const files = (await this.walk(options.dir ?? '', 100_000, false)).sort((a, b) =>
      a.path < b.path ? -1 : 1,
    );
    const matcher = new LineMatcher(regex);
    const deadline = Date.now() + this.options.searchBudgetMs;
    const matches: SearchMatch[] = [];
    for (const file of files) {
      if (matches.length >= maxResults) {
        break;
      }
      const text = await this.readForSearch(file.real);
      if (text === undefined) {
        continue;
      }
      const found = matcher.match(text, maxResults - matches.length, deadline - Date.now());
      if (found === 'timeout') {
        throw new FileToolError(
          'invalid_pattern',
          pattern,
          `the pattern took longer than ${this.options.searchBudgetMs} ms; make it simpler or narrow dir`,
        );
      }
      for (const hit of found) {
        matches.push({ path: file.path, line: hit.line, text: hit.text });
      }
    }
    return matches;
  }

  /** Hands every entry of the workspace (the root included) to `owner` with lchown. */
  static async chownTree(root: string, owner: FileOwner): Promise<void> {
    await lchown(root, owner.uid, owner.gid);
    const entries = await readdir(root, { withFileTypes: true, recursive: true });
    for (const entry of entries) {
      await lchown(join(entry.parentPath, entry.name), owner.uid, owner.gid);
    }
  }

  private async walk(
    dir: string,
    max: number,
    withSymlinks: boolean,
  ): Promise<Array<{ path: string; real: string }>> {
    const segments = parseWorkspacePath(dir);
    const start = await realPathInside(this.root, segments, dir);
    if (start === undefined) {
      throw new FileToolError('not_found', dir, `no such directory: ${dir}`);
    }
    const out: Array<{ path: string; real: string }> = [];
    const visit = async (real: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(real, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') {
          throw new FileToolError('not_a_file', dir, `not a directory: ${dir}`);
        }
        throw error;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const entry of entries) {
        if (out.length >= max) {
          return;
        }
        const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
        const childReal = join(real, entry.name);
        if (entry.isDirectory()) {
          if (!SKIPPED_DIRS.has(entry.name)) {
            await visit(childReal, childRel);
          }
        } else if (entry.isFile() || (withSymlinks && entry.isSymbolicLink())) {
          out.push({ path: childRel, real: childReal });
        }
      }
    };
    await visit(start, segments.join('/'));
    return out;
  }

  private async readForSearch(real: string): Promise<string | undefined> {
    let handle: FileHandle;
    try {
      handle = await this.openChecked(real, READ, real);
    } catch {
      return undefined; // vanished, swapped for a symlink, or not readable: not searchable
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile() || stat.size > this.options.maxSearchBytes) {
        return undefined;
      }
      const buffer = await readAtMost(handle, this.options.maxSearchBytes + 1);
      if (buffer.length > this.options.maxSearchBytes || buffer.subarray(0, 8192).includes(0)) {
        return undefined;
      }
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  }

  /** Opens `real` and re-checks, through /proc/self/fd, that what was opened lies in the workspace. */
  private async openChecked(real: string, flags: number, requested: string): Promise<FileHandle> {
    const handle = await open(real, flags, 0o644);
    let opened: string;
    try {
      opened = await readlink(`/proc/self/fd/${handle.fd}`);
    } catch (error) {
      await handle.close();
      throw error;
    }
    if (!isInside(this.root, opened)) {
      await handle.close();
      throw new WorkspaceEscapeError(
        'outside_workspace',
        requested,
        'it resolves (through a symlink) outside the workspace',
      );
    }
    return handle;
  }

  private async chown(path: string): Promise<void> {
    if (this.options.owner) {
      await lchown(path, this.options.owner.uid, this.options.owner.gid);
    }
  }
}

/** Reads from the start of `handle` until end of file or `max` bytes, whichever comes first. */
async function readAtMost(handle: FileHandle, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < max) {
    const chunk = Buffer.alloc(Math.min(64 * 1024, max - total));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
    if (bytesRead === 0) {
      break;
    }
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
  }
  return Buffer.concat(chunks, total);
}
