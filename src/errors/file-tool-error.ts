import { TandemError } from './tandem-error.js';

/**
 * A sandbox file tool failed for a reason the agent can react to: the file does not exist, is too large,
 * is not a regular file, or a search pattern is invalid or too slow. Paths outside the workspace throw
 * `WorkspaceEscapeError` instead.
 */
export class FileToolError extends TandemError {
  readonly code = 'file_tool_failed';

  constructor(
    readonly type: 'not_found' | 'too_large' | 'not_a_file' | 'invalid_pattern',
    /** Workspace-relative path (or the pattern, for `invalid_pattern`). */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
