import { TandemError } from './tandem-error.js';

/**
 * A sandbox file tool was given a path that leaves the workspace (`..`, an absolute path, a symlink that
 * resolves outside) or is not a usable path at all (NUL byte, a `.git` segment). Nothing was read or
 * written. `type` matches the file tool error types an agent sees.
 */
export class WorkspaceEscapeError extends TandemError {
  readonly code = 'workspace_escape';
  /** The path as requested, NUL bytes shown as `\0`. */
  readonly path: string;

  constructor(
    readonly type: 'outside_workspace' | 'invalid_path',
    path: string,
    reason: string,
  ) {
    const shown = path.replaceAll('\0', '\\0');
    super(`refused path ${JSON.stringify(shown)}: ${reason}`);
    this.path = shown;
  }
}
