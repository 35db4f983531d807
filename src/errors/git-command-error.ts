import { TandemError } from './tandem-error.js';

/**
 * A git command failed. `args` is the git subcommand argv after the safety options; `stderr` is redacted
 * by the caller (it never holds credentials: they travel only through the askpass environment).
 */
export class GitCommandError extends TandemError {
  readonly code = 'git_command_failed';

  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`git ${args.join(' ')} failed (exit ${exitCode ?? 'none'}): ${stderr.trim()}`, options);
  }
}
