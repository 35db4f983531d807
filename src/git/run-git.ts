/**
 * The one way Tandem runs git: on the host, argv arrays only (execa, no shell), with every piece of
 * configuration that could make git execute repository-controlled code switched off.
 *
 * Every command gets `-c core.hooksPath=/dev/null` (no hooks), `-c core.fsmonitor=false` (no fsmonitor
 * daemon/hook), `-c core.symlinks=false` (checkouts never create symlinks on the host),
 * `-c protocol.ext.allow=never` (no `ext::` transport running commands), `-c credential.helper=` (no stored
 * credentials) and `-c safe.directory=*` (the workspace may belong to another uid, e.g. the sandbox user).
 * System and global config are ignored (`GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_GLOBAL=/dev/null`), prompts are
 * off (`GIT_TERMINAL_PROMPT=0`) and the environment is minimal: nothing from the worker's environment
 * (which may hold tokens) reaches git unless passed in `env` for that one command.
 */
import { execa } from 'execa';
import { GitCommandError } from '../errors/git-command-error.js';
import { redactSecrets } from '../errors/redact-secrets.js';

/** The `-c` options put in front of every git command (see the module comment). */
export const SAFE_GIT_CONFIG: readonly string[] = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.symlinks=false',
  '-c',
  'protocol.ext.allow=never',
  '-c',
  'credential.helper=',
  '-c',
  'safe.directory=*',
  '-c',
  'init.defaultBranch=main',
  '-c',
  'advice.detachedHead=false',
];

/** Options of one git command. */
export interface RunGitOptions {
  /** `--git-dir`; omitted for commands that need none (`ls-remote`, `check-ref-format`). */
  gitDir?: string;
  /** `--work-tree`; also the command's working directory (pathspecs and `git grep` are relative to it). */
  workTree?: string;
  /** Extra environment for this one command (e.g. askpass credentials). Never logged. */
  env?: Record<string, string>;
  /** Wall-clock limit in ms (default 120 000). */
  timeoutMs?: number;
  /** Exit codes that are results, not failures (e.g. `[1]` for `diff --quiet`). */
  okExitCodes?: readonly number[];
  /** stdin content. */
  input?: string;
  /** Values to redact from error messages in addition to the usual token patterns. */
  secrets?: readonly string[];
}

/** Outcome of a git command that did not fail. */
export interface GitResult {
  stdout: string;
  /** stderr, redacted like error messages. */
  stderr: string;
  exitCode: number;
}

/**
 * Runs `git <safe config> [--git-dir] [--work-tree] <args>`.
 * @throws GitCommandError when git exits with a code not in `okExitCodes` (stderr redacted).
 */
export async function runGit(
  args: readonly string[],
  options: RunGitOptions = {},
): Promise<GitResult> {
  const argv = [...SAFE_GIT_CONFIG];
  if (options.gitDir !== undefined) {
    argv.push(`--git-dir=${options.gitDir}`);
  }
  if (options.workTree !== undefined) {
    argv.push(`--work-tree=${options.workTree}`);
  }
  argv.push(...args);
  const result = await execa('git', argv, {
    reject: false,
    // Outside the work tree git resolves pathspecs (and `git grep --untracked` searches) relative to the
    // caller's directory, i.e. the worker's own files.
    ...(options.workTree === undefined ? {} : { cwd: options.workTree }),
    extendEnv: false,
    stripFinalNewline: false,
    timeout: options.timeoutMs ?? 120_000,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LC_ALL: 'C',
      HOME: '/nonexistent',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_OPTIONAL_LOCKS: '0',
      ...options.env,
    },
  });
  const exitCode = result.exitCode ?? -1;
  const known = [...(options.secrets ?? []), ...Object.values(options.env ?? {})];
  if (exitCode === 0 || options.okExitCodes?.includes(exitCode)) {
    return { stdout: result.stdout, stderr: redactSecrets(result.stderr, known), exitCode };
  }
  const stderr = redactSecrets(
    result.timedOut ? `timed out: ${result.stderr}` : result.stderr,
    known,
  );
  throw new GitCommandError(
    args.map((a) => redactSecrets(a, known)),
    result.exitCode,
    stderr,
  );
}
