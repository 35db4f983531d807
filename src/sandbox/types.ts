/**
 * The sandbox contract: where agents' code and the repository's tests run. The Docker implementation is
 * in this folder; the pair engine only sees these types.
 */

/** Resource limits of one sandbox container. */
export interface SandboxLimits {
  /** CPUs, fractional allowed (Docker NanoCpus = cpus × 1e9). */
  cpus: number;
  /** Memory limit in MiB (swap is disabled: memory-swap = memory). */
  memoryMb: number;
  /** Maximum processes/threads in the container. */
  pids: number;
}

/** What a sandbox is created for. */
export interface SandboxSpec {
  /** Docker image reference, e.g. `tandem-sandbox:latest`. */
  image: string;
  /** Absolute host directory bind-mounted read-write at /workspace. Must not contain the git directory. */
  workspaceDir: string;
  limits: SandboxLimits;
  /** `none` always; `setup` allows a network only for `exec(..., { network: true })` calls made before the first offline exec. */
  network: 'none' | 'setup';
  /** Job id, stored as a container label (for orphan removal and debugging). */
  jobId: string;
}

/** Options of one command inside the sandbox. */
export interface ExecOptions {
  /** Wall-clock limit in ms; the command (and the process group) is killed when it passes. */
  timeoutMs: number;
  /** Extra environment variables. Never put secrets here. */
  env?: Record<string, string>;
  /** Working directory inside the container; default `/workspace`. Must be /workspace or below. */
  cwd?: string;
  /** Cap on captured stdout and stderr each, in bytes (default 1 MiB); the rest is dropped and `truncated` set. */
  maxOutputBytes?: number;
  /** Abort the command early (killed like a timeout, reported with `timedOut: false`). */
  signal?: AbortSignal;
  /**
   * Run with the setup network. Allowed only when the spec says `network: 'setup'` and before the first
   * offline exec (the network is disconnected for good at that point); otherwise `SandboxSpecError`.
   * When the provider has extra CA certificates (`TANDEM_SANDBOX_CA_CERTS`), such a command also gets
   * them (see `sandboxCaEnv`); they are removed with the network.
   */
  network?: boolean;
  /**
   * Disk the workspace may use, in bytes (default: the provider's `maxWorkspaceBytes`). No single file
   * may grow past it while the command runs (`ulimit -f`); the workspace is measured while the command
   * runs (the command is killed when it is over) and when it ends: see `ExecResult.diskLimitExceeded`.
   */
  maxWorkspaceBytes?: number;
  /**
   * Sees the command's output while it runs, one line at a time (split at `\n` and `\r`, empty lines
   * left out, lines over 2,000 characters cut). For live displays and logs; the result still carries
   * the output. Whatever it throws is ignored.
   */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** One command as a {@link SandboxObserver} sees it start. */
export interface ObservedCommand {
  /** The sandbox's job id (`SandboxSpec.jobId`). */
  jobId: string;
  argv: readonly string[];
  /** True when the command runs with the setup network. */
  network: boolean;
  /** Its position among the sandbox's commands: 0 for the first (the setup, when the policy has one). */
  index: number;
}

/** What an observer wants to see of one command; both parts optional. */
export interface CommandObserver {
  /** Each output line as it comes (see `ExecOptions.onOutput`). */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** The command ended: its result, or the infrastructure error it threw. */
  onEnd?: (outcome: { result: ExecResult } | { error: unknown }) => void;
}

/**
 * Watches the commands of every sandbox a provider makes (live progress, logs), without the caller of
 * `exec` having to pass anything. Returns undefined for a command it does not care about. Its
 * callbacks must not throw (what they throw is ignored).
 */
export type SandboxObserver = (command: ObservedCommand) => CommandObserver | undefined;

/** The outcome of one command. Infrastructure failures throw; a failing command is a normal result. */
export interface ExecResult {
  /** Process exit code; 137 when killed. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Wall-clock duration in ms. */
  durationMs: number;
  timedOut: boolean;
  /** True when stdout or stderr was cut at `maxOutputBytes`. */
  truncated: boolean;
  /** True when the container's memory limit killed a process (cgroup OOM). */
  oomKilled: boolean;
  /** Disk use of the workspace in bytes when the command ended (absent when it was not measured). */
  workspaceBytes?: number;
  /** The disk limit this command ran under, in bytes. */
  diskLimitBytes?: number;
  /**
   * True when the workspace grew past `maxWorkspaceBytes` (or could not be measured) during or after the
   * command; the command was killed when that was seen while it ran. The caller decides what to do with
   * the workspace (the pair engine discards the changes and blocks the ticket).
   */
  diskLimitExceeded?: boolean;
}

/** A file tool failure the agent can react to (paths outside the workspace, missing files, too large). */
export type FileToolErrorType =
  | 'outside_workspace'
  | 'not_found'
  | 'too_large'
  | 'invalid_path'
  | 'not_a_file'
  | 'invalid_pattern';

/** One match of `Sandbox.search`. */
export interface SearchMatch {
  /** Workspace-relative path with `/` separators. */
  path: string;
  /** 1-based line number. */
  line: number;
  text: string;
}

/**
 * One job's sandbox: a running, hardened container over a workspace directory.
 * File tools work on the host side of the bind mount but are confined to the workspace: they refuse
 * `..`, absolute paths, NUL bytes and symlinks that resolve outside it (throwing `WorkspaceEscapeError`).
 */
export interface Sandbox {
  readonly id: string;
  readonly spec: SandboxSpec;
  /** Runs argv (never a shell string) as the sandbox user. */
  exec(argv: readonly string[], options: ExecOptions): Promise<ExecResult>;
  /** Reads a UTF-8 file, by workspace-relative path. */
  readFile(path: string): Promise<string>;
  /** Writes a UTF-8 file (creating parent directories), by workspace-relative path. */
  writeFile(path: string, content: string): Promise<void>;
  /**
   * Lists files (not directories) under a workspace-relative directory, recursively, sorted. Regular files
   * and symlinks are listed; `.git` and `node_modules` directories are skipped. At most `maxResults`
   * (default 5,000) paths.
   */
  list(dir?: string, options?: { maxResults?: number }): Promise<string[]>;
  /**
   * Searches file contents for a regular expression (JavaScript syntax), line by line. Skips binary files
   * and files over 1 MiB; a pattern that is invalid or runs too long throws `FileToolError`
   * (`invalid_pattern`).
   */
  search(pattern: string, options?: { dir?: string; maxResults?: number }): Promise<SearchMatch[]>;
  /**
   * Hands every file of the workspace to the sandbox user (lchown, symlinks not followed). A no-op unless
   * the worker runs as root; call it after filling the workspace from the host so the sandbox may write.
   */
  chownWorkspace(): Promise<void>;
  /**
   * Stops and removes the container. Idempotent. A workspace the caller passed in (`create`) is left in
   * place; one the provider made (`acquire`) is removed unless `keepWorkspace` was asked for.
   */
  destroy(): Promise<void>;
}

/** What `SandboxProvider.acquire` needs: a spec without a workspace (the provider makes a fresh one). */
export interface SandboxRequest extends Omit<SandboxSpec, 'workspaceDir'> {
  /** Leave the provider-made workspace directory on disk after `destroy` (default false). */
  keepWorkspace?: boolean;
}

/**
 * Creates sandboxes. Two ways round (docs/sandbox.md):
 * - `acquire(request)`: fast path, served from the warm pool. The sandbox comes with its own fresh, empty
 *   `spec.workspaceDir` (a host directory the provider made); the caller fills it, then runs commands.
 * - `create(spec)`: the caller already has a workspace directory; always a cold container over it.
 */
export interface SandboxProvider {
  create(spec: SandboxSpec): Promise<Sandbox>;
  /** A sandbox with a fresh empty workspace, from the warm pool when one matches (image, limits, network). */
  acquire(request: SandboxRequest): Promise<Sandbox>;
  /** Removes containers left by earlier processes (by label). Returns how many were removed. */
  removeOrphans(): Promise<number>;
  /**
   * Removes every container the provider made, the warm pool's and the sandboxes handed out and not yet
   * destroyed alike (a job interrupted by shutdown leaves none behind); later `create`/`acquire` throw.
   */
  close(): Promise<void>;
}
