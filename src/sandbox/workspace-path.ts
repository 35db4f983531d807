import { realpath } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { WorkspaceEscapeError } from '../errors/index.js';

/** Directory names the file tools never enter nor write into. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules']);

/**
 * Checks a workspace-relative path given by an agent and returns its normalized segments.
 * Refuses (throwing `WorkspaceEscapeError`): NUL bytes, absolute paths (`/x`, `C:\x`, `\\host`), any `..`
 * segment (even one that would stay inside: agents get one canonical way to name a file), and any `.git`
 * segment. `''` and `.` mean the workspace root (an empty array). No file system access.
 */
export function parseWorkspacePath(path: string): string[] {
  if (typeof path !== 'string') {
    throw new WorkspaceEscapeError('invalid_path', String(path), 'a path must be a string');
  }
  if (path.includes('\0')) {
    throw new WorkspaceEscapeError('invalid_path', path, 'NUL bytes are not allowed in paths');
  }
  if (isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\')) {
    throw new WorkspaceEscapeError(
      'outside_workspace',
      path,
      'absolute paths are not allowed; use a path relative to the workspace',
    );
  }
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    throw new WorkspaceEscapeError('outside_workspace', path, '".." is not allowed in paths');
  }
  if (segments.includes('.git')) {
    throw new WorkspaceEscapeError(
      'invalid_path',
      path,
      'the git directory is not part of the workspace',
    );
  }
  return segments;
}

/** True when `candidate` (a real path) is `root` (a real path) or inside it. */
export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Resolves symlinks of a path and checks the result stays inside the workspace.
 * Returns the real path, or `undefined` when the path does not exist (ENOENT/ENOTDIR) but its deepest
 * existing ancestor is inside. Throws `WorkspaceEscapeError` (`outside_workspace`) when the path, or
 * that ancestor (`link-to-parent/missing`), resolves outside `rootReal`.
 */
export async function realPathInside(
  rootReal: string,
  segments: readonly string[],
  requested: string,
): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(join(rootReal, ...segments));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (segments.length > 1) {
        await realPathInside(rootReal, segments.slice(0, -1), requested);
      }
      return undefined;
    }
    if (code === 'ELOOP') {
      throw new WorkspaceEscapeError('outside_workspace', requested, 'symlink loop');
    }
    throw error;
  }
  if (!isInside(rootReal, real)) {
    throw new WorkspaceEscapeError(
      'outside_workspace',
      requested,
      'it resolves (through a symlink) outside the workspace',
    );
  }
  return real;
}
