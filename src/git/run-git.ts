/**
 * The one way Tandem runs git: on the host, argv arrays only (execa, no shell), with every piece of
 * configuration that could make git execute a program, or read a path, that a repository or a sandbox
 * controls switched off or pinned to a safe value.
 *
 * What a work tree can steer, and what stops it (see `SAFE_GIT_CONFIG` for the full list):
 * - **Nested repositories and submodules.** A gitlink makes `status`, `diff` and `add` run git inside the
 *   nested repository, with that repository's own config (clean/smudge filters, `core.fsmonitor`,
 *   `core.sshCommand`), and `-c` options do not reach that child. So: `diff.ignoreSubmodules=all`,
 *   `submodule.recurse=false`, `fetch.recurseSubmodules=false`, `push.recurseSubmodules=no`,
 *   `status.submoduleSummary=false`, and `GitWorkspace` passes `--ignore-submodules=all` /
 *   `--no-recurse-submodules` on the commands that take them (the command-line flag also keeps git from
 *   reading `.gitmodules`, which can break every command) and removes nested `.git` entries before any
 *   command that reads the work tree (`nested-repositories.ts`). `.gitmodules` is never used.
 * - **Programs named in config.** Only the job's own repository config (written by Tandem, outside the
 *   work tree) and these `-c` options are read: system and global config are off (`GIT_CONFIG_NOSYSTEM`,
 *   `GIT_CONFIG_GLOBAL=/dev/null`, `HOME`/`XDG_CONFIG_HOME` pointing nowhere), and still every setting
 *   that runs a program is pinned: hooks (`core.hooksPath=/dev/null`), `core.fsmonitor`,
 *   `core.sshCommand`, `core.pager`, `core.editor`, `core.askPass`, `credential.helper`, `gpg.program`
 *   (signing and signature display off), automatic `gc`/`maintenance` (they would detach a process).
 *   Filters, diff drivers and merge drivers named by an in-tree `.gitattributes` need a definition in
 *   config, and there is none; `core.attributesFile` and `GIT_ATTR_NOSYSTEM` keep other attribute files
 *   out. Diffs also get `--no-ext-diff --no-textconv` at the call site.
 * - **Transports.** `protocol.allow=never` with only `file`, `http`, `https` and `ssh` allowed (no `ext::`
 *   command transport, no `git://` proxy command).
 * - **Repository discovery.** Work-tree commands always get an explicit `--git-dir` (no discovery of a
 *   `.git` planted in the work tree) and `safe.bareRepository=explicit` refuses an implicitly found bare
 *   repository. `core.symlinks=false`: checkouts never create symlinks on the host; `core.protectNTFS`
 *   and `core.protectHFS` refuse `.git` look-alikes.
 *
 * Prompts are off (`GIT_TERMINAL_PROMPT=0`) and the environment is minimal: nothing from the worker's
 * environment (which may hold tokens) reaches git unless passed in `env` for that one command.
 */
import { execa } from 'execa';
import { GitCommandError } from '../errors/git-command-error.js';
import { redactSecrets } from '../errors/redact-secrets.js';

/** The settings forced on every git command, as `key=value` (see the module comment). */
export const SAFE_GIT_SETTINGS: readonly string[] = [
  // Nothing from the repository or the work tree runs.
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'core.sshCommand=ssh',
  'core.pager=cat',
  'core.editor=true',
  'core.askPass=',
  'core.attributesFile=/dev/null',
  'core.excludesFile=/dev/null',
  'credential.helper=',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'log.showSignature=false',
  'gc.auto=0',
  'maintenance.auto=false',
  'init.templateDir=',
  // Nested repositories and submodules are never entered.
  'diff.ignoreSubmodules=all',
  'submodule.recurse=false',
  'fetch.recurseSubmodules=false',
  'push.recurseSubmodules=no',
  'status.submoduleSummary=false',
  // Transports: no command transport (`ext::`), no `git://` proxy command.
  'protocol.allow=never',
  'protocol.file.allow=always',
  'protocol.http.allow=always',
  'protocol.https.allow=always',
  'protocol.ssh.allow=always',
  'protocol.ext.allow=never',
  // The host's file system: no symlinks from checkouts, no `.git` look-alikes, no implicit bare repository.
  'core.symlinks=false',
  'core.protectNTFS=true',
  'core.protectHFS=true',
  'safe.bareRepository=explicit',
  'init.defaultBranch=main',
  'advice.detachedHead=false',
];

/** The `-c` options put in front of every git command. */
export const SAFE_GIT_CONFIG: readonly string[] = SAFE_GIT_SETTINGS.flatMap((s) => ['-c', s]);

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
  const argv = [...SAFE_GIT_CONFIG, '--no-pager'];
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
      XDG_CONFIG_HOME: '/nonexistent',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_ATTR_NOSYSTEM: '1',
      GIT_PAGER: 'cat',
      GIT_EDITOR: 'true',
      GIT_SEQUENCE_EDITOR: 'true',
      GIT_NO_REPLACE_OBJECTS: '1',
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
