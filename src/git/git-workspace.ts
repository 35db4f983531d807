/**
 * A per-job git workspace: the work tree is the directory mounted into the sandbox; the git directory lives
 * outside it (`--git-dir`/`--work-tree`), so nothing an agent writes can plant hooks or config that the
 * host-side git would run. Every command goes through {@link runGit} (hooks, fsmonitor, submodules and
 * every other program-running setting off), and before every command that reads the work tree the nested
 * repositories a sandbox process may have made are removed (`removeNestedRepositories`) and remembered
 * for {@link GitWorkspace.takeRemovedRepositories}. Submodules of the repository itself are data: their
 * gitlinks are checked out as empty directories and never entered, fetched, pushed or re-staged.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileToolError } from '../errors/file-tool-error.js';
import { GitCommandError } from '../errors/git-command-error.js';
import { askpassEnv, writeAskpassScript, type GitCredentials } from './askpass.js';
import {
  formatCommitMessage,
  parseTrailers,
  type CommitMessage,
  type TandemTrailers,
} from './commit-message.js';
import { hasSymlinkParent, removeNestedRepositories } from './nested-repositories.js';
import { assertBranchName } from './ref-name.js';
import { runGit, type RunGitOptions } from './run-git.js';

/** Author and committer of Tandem's commits. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** The default bot identity, `Tandem <tandem@localhost>`. */
export const DEFAULT_IDENTITY: GitIdentity = { name: 'Tandem', email: 'tandem@localhost' };

/** Options of {@link GitWorkspace.open}. */
export interface OpenWorkspaceOptions {
  /** Remote URL or local path. Must not carry credentials (userinfo is refused). */
  remote: string;
  /** Base branch; empty or omitted means the remote's default branch. */
  baseBranch?: string;
  /** Ticket branch to work on (validated). */
  branch: string;
  /** Git directory (created as a bare repository), outside the work tree. */
  gitDir: string;
  /** Work tree (the sandbox's workspace directory). */
  workTree: string;
  identity?: GitIdentity;
  /** Credentials for fetch and push (through askpass). */
  credentials?: GitCredentials;
}

/** Where the ticket branch started from when the workspace was opened. */
export type BranchSource = 'local' | 'remote' | 'base';

/** A file that differs from HEAD in the work tree. */
export interface ChangedFile {
  path: string;
  change: 'added' | 'modified' | 'deleted';
}

/** One commit with its Tandem trailers (null when it has none). */
export interface CommitInfo {
  sha: string;
  subject: string;
  trailers: TandemTrailers | null;
}

/** Git operations of one job's workspace. Create with {@link GitWorkspace.open}. */
export class GitWorkspace {
  /** Nested repositories removed since the last {@link GitWorkspace.takeRemovedRepositories}. */
  private removed: string[] = [];

  private constructor(
    readonly remote: string,
    readonly branch: string,
    readonly baseBranch: string,
    /** Commit the branch was cut from (the base head at open time, or the merge base for a resumed branch). */
    readonly baseCommit: string,
    readonly source: BranchSource,
    private readonly gitDir: string,
    readonly workTree: string,
    private readonly identity: GitIdentity,
    private readonly credentials: GitCredentials | undefined,
  ) {}

  /**
   * Prepares the workspace: initialises the git directory if needed (or removes lock files a killed runner
   * left in it), fetches the base branch and any
   * existing ticket branch, and checks the ticket branch out (forced: leftovers of an interrupted phase are
   * discarded). The branch resumes from the local branch when the remote one is not ahead of it, else from
   * the remote branch, else it is cut from the base. A reused work tree is cleared of nested repositories
   * first (reported by {@link GitWorkspace.takeRemovedRepositories}).
   * @throws InvalidRefNameError for an invalid branch; GitCommandError when git fails (e.g. unknown remote).
   */
  static async open(options: OpenWorkspaceOptions): Promise<GitWorkspace> {
    const branch = assertBranchName(options.branch);
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(options.remote)) {
      throw new GitCommandError(['remote'], undefined, 'remote URL must not contain credentials');
    }
    await mkdir(options.workTree, { recursive: true });
    const removedAtOpen = await removeNestedRepositories(options.workTree);
    if (!(await exists(join(options.gitDir, 'HEAD')))) {
      await mkdir(options.gitDir, { recursive: true, mode: 0o700 });
      await runGit(['init', '--bare', '-q', options.gitDir]);
      // Outputs Tandem writes into the workspace (JUnit reports) are never committed.
      await mkdir(join(options.gitDir, 'info'), { recursive: true });
      // No trailing slash: a `.tandem` the sandbox replaced by a link is excluded too.
      await writeFile(join(options.gitDir, 'info', 'exclude'), '/.tandem\n');
    } else {
      // A runner killed during `git add`/`commit` leaves lock files that would fail every later command.
      // The job's git dir belongs to this job alone (one runner per job), so any lock here is stale.
      await Promise.all(
        ['index.lock', 'HEAD.lock', `refs/heads/${branch}.lock`].map((lock) =>
          rm(join(options.gitDir, lock), { force: true }),
        ),
      );
    }
    const env = options.credentials
      ? askpassEnv(await writeAskpassScript(join(options.gitDir, 'tandem')), options.credentials)
      : undefined;
    const base = options.baseBranch
      ? assertBranchName(options.baseBranch)
      : await defaultBranch(options.remote, options.gitDir, env);
    const git: RunGitOptions = { gitDir: options.gitDir, workTree: options.workTree };
    const remoteHasBranch =
      (
        await runGit(['ls-remote', '--heads', '--', options.remote, `refs/heads/${branch}`], {
          ...git,
          ...(env ? { env } : {}),
        })
      ).stdout.trim() !== '';
    const refspecs = [`+refs/heads/${base}:refs/remotes/origin/${base}`];
    if (remoteHasBranch) {
      refspecs.push(`+refs/heads/${branch}:refs/remotes/origin/${branch}`);
    }
    await runGit(
      ['fetch', '-q', '--no-tags', '--no-recurse-submodules', '--', options.remote, ...refspecs],
      {
        ...git,
        ...(env ? { env } : {}),
      },
    );
    const baseHead = await revParse(git, `refs/remotes/origin/${base}`);
    const localHead = await revParse(git, `refs/heads/${branch}`);
    const remoteHead = remoteHasBranch
      ? await revParse(git, `refs/remotes/origin/${branch}`)
      : null;
    let start = baseHead;
    let source: BranchSource = 'base';
    const remoteAhead =
      localHead !== null &&
      remoteHead !== null &&
      remoteHead !== localHead &&
      (await isAncestor(git, localHead, remoteHead));
    if (localHead && !remoteAhead) {
      start = localHead;
      source = 'local';
    } else if (remoteHead) {
      start = remoteHead;
      source = 'remote';
    }
    if (!start) {
      throw new GitCommandError(['fetch'], undefined, `base branch ${base} not found on remote`);
    }
    await runGit(['checkout', '-q', '-f', '--no-recurse-submodules', '-B', branch, start], git);
    await runGit(['clean', '-q', '-f', '-d'], git);
    const mergeBase = baseHead
      ? (await runGit(['merge-base', baseHead, start], git)).stdout.trim()
      : start;
    const workspace = new GitWorkspace(
      options.remote,
      branch,
      base,
      mergeBase,
      source,
      options.gitDir,
      options.workTree,
      options.identity ?? DEFAULT_IDENTITY,
      options.credentials,
    );
    workspace.removed.push(...removedAtOpen);
    return workspace;
  }

  private get git(): RunGitOptions {
    return { gitDir: this.gitDir, workTree: this.workTree };
  }

  /**
   * The nested repositories (`.git` directories, files or links, and their look-alikes; a `.gitmodules`
   * that is not a regular file) removed from the work tree since the last call, work-tree-relative, and
   * forgets them. A caller that lets untrusted code write the work tree reports them as a violation.
   */
  takeRemovedRepositories(): string[] {
    const removed = this.removed;
    this.removed = [];
    return removed;
  }

  /** Runs before every command that reads the work tree: see {@link GitWorkspace.takeRemovedRepositories}. */
  private async guard(): Promise<void> {
    const removed = await removeNestedRepositories(this.workTree);
    this.removed.push(...removed);
  }

  /** The sha of HEAD. */
  async head(): Promise<string> {
    return (await runGit(['rev-parse', 'HEAD'], this.git)).stdout.trim();
  }

  /** Files that differ from HEAD (tracked changes and untracked, non-ignored files), sorted by path. */
  async changedFiles(): Promise<ChangedFile[]> {
    await this.guard();
    const out = (
      await runGit(
        ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=all'],
        this.git,
      )
    ).stdout;
    const entries = out.split('\0');
    const files: ChangedFile[] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] ?? '';
      if (entry.length < 4) {
        continue;
      }
      const xy = entry.slice(0, 2);
      const path = entry.slice(3);
      if (xy.includes('R') || xy.includes('C')) {
        i++; // the next entry is the rename source
      }
      let change: ChangedFile['change'] = 'modified';
      if (xy === '??' || xy.includes('A')) {
        change = 'added';
      } else if (xy.includes('D')) {
        change = 'deleted';
      }
      files.push({ path, change });
    }
    return files.sort((a, b) => a.path.localeCompare(b.path));
  }

  /** Puts `paths` back to their HEAD state: tracked files are restored, files new since HEAD deleted. */
  async restore(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) {
      return;
    }
    await this.guard();
    const tracked = new Set(
      (
        await runGit(['ls-tree', '-r', '-z', '--name-only', 'HEAD', '--', ...paths], this.git)
      ).stdout
        .split('\0')
        .filter(Boolean),
    );
    const toCheckout = paths.filter((p) => tracked.has(p));
    if (toCheckout.length > 0) {
      await runGit(
        ['checkout', '-q', '--no-recurse-submodules', 'HEAD', '--', ...toCheckout],
        this.git,
      );
    }
    for (const path of paths.filter((p) => !tracked.has(p))) {
      // `rm` follows a symlinked parent: a path under one is not in the work tree git sees anyway.
      if (!(await hasSymlinkParent(this.workTree, path))) {
        await rm(join(this.workTree, path), { force: true });
      }
    }
  }

  /** Discards every uncommitted change (tracked and untracked, ignored files kept). */
  async discardChanges(): Promise<void> {
    await this.guard();
    await runGit(['checkout', '-q', '-f', '--no-recurse-submodules', 'HEAD'], this.git);
    await runGit(['clean', '-q', '-f', '-d'], this.git);
  }

  /**
   * Stages everything and commits it with the bot identity and the Tandem trailers.
   * Returns the new sha, or null when there was nothing to commit.
   * Four git processes on the usual path (ls-files, add, commit, rev-parse); only when `commit` exits 1
   * does a `diff --cached --quiet` tell "nothing to commit" (null) from a failure (thrown). The
   * repository's own gitlinks are left out of `add` (it has no `--ignore-submodules`, and would look
   * into a populated submodule directory with that repository's config).
   */
  async commit(message: CommitMessage): Promise<string | null> {
    await this.guard();
    const pathspecs = ['.', ...(await this.gitlinks()).map((p) => `:(exclude,literal)${p}`)];
    await runGit(['add', '-A', '--pathspec-from-file=-', '--pathspec-file-nul'], {
      ...this.git,
      input: `${pathspecs.join('\0')}\0`,
    });
    const { name, email } = this.identity;
    const args = [
      '-c',
      `user.name=${name}`,
      '-c',
      `user.email=${email}`,
      'commit',
      '-q',
      '--no-verify',
      '--no-gpg-sign',
      '-F',
      '-',
    ];
    const result = await runGit(args, {
      ...this.git,
      input: formatCommitMessage(message),
      okExitCodes: [1],
    });
    if (result.exitCode === 1) {
      const staged = await runGit(['diff', '--cached', '--quiet', '--ignore-submodules=all'], {
        ...this.git,
        okExitCodes: [1],
      });
      if (staged.exitCode === 0) {
        return null;
      }
      throw new GitCommandError(args, 1, result.stderr);
    }
    return this.head();
  }

  /** Paths of the gitlinks (mode 160000) in the index. Reads the index only. */
  private async gitlinks(): Promise<string[]> {
    const out = (await runGit(['ls-files', '-s', '-z'], this.git)).stdout;
    return out
      .split('\0')
      .filter((entry) => entry.startsWith('160000 '))
      .map((entry) => entry.slice(entry.indexOf('\t') + 1));
  }

  /** Commits in `from..to` (default HEAD), oldest first. */
  async log(from: string, to = 'HEAD'): Promise<CommitInfo[]> {
    const out = (
      await runGit(
        ['log', '--reverse', '--format=%H%x00%s%x00%(trailers:only,unfold)%x1e', `${from}..${to}`],
        this.git,
      )
    ).stdout;
    return out
      .split('\x1e')
      .map((record) => record.replace(/^\n/, ''))
      .filter((record) => record.includes('\0'))
      .map((record) => {
        const [sha = '', subject = '', trailers = ''] = record.split('\0');
        return { sha, subject, trailers: parseTrailers(trailers) };
      });
  }

  /** The unified diff of tracked files in the work tree against `rev`, cut at `maxBytes` characters. */
  async diff(rev = 'HEAD', maxBytes = 20_000): Promise<string> {
    await this.guard();
    const out = (
      await runGit(
        [
          'diff',
          '--no-color',
          '--no-ext-diff',
          '--no-textconv',
          '--ignore-submodules=all',
          rev,
          '--',
        ],
        this.git,
      )
    ).stdout;
    return out.length > maxBytes ? `${out.slice(0, maxBytes)}\n[diff truncated]` : out;
  }

  /**
   * Files in the work tree that git would track (tracked or untracked, not ignored), sorted. One
   * `ls-files -t` lists cached (`H`), deleted (`R`) and untracked (`?`) files; deleted ones are left out.
   */
  async listFiles(dir = ''): Promise<string[]> {
    await this.guard();
    const out = (
      await runGit(
        [
          'ls-files',
          '-z',
          '-t',
          '--cached',
          '--deleted',
          '--others',
          '--exclude-standard',
          '--',
          dir || '.',
        ],
        this.git,
      )
    ).stdout;
    const present = new Set<string>();
    const deleted = new Set<string>();
    for (const entry of out.split('\0')) {
      if (entry.length < 3) {
        continue;
      }
      (entry[0] === 'R' ? deleted : present).add(entry.slice(2));
    }
    return [...present].filter((p) => !deleted.has(p)).sort();
  }

  /**
   * `git grep` over the work tree (tracked and untracked files, binary skipped): at most `maxResults`
   * matches as `{path, line, text}`. `pattern` is an extended regular expression.
   * @throws FileToolError (`invalid_pattern`) when git refuses the pattern (exit 128: git grep's fatal
   *   exit; the repository itself was usable a moment before, so the pattern is what it rejects).
   */
  async grep(
    pattern: string,
    maxResults = 50,
  ): Promise<{ path: string; line: number; text: string }[]> {
    await this.guard();
    const result = await runGit(
      ['grep', '-n', '-I', '--untracked', '-z', '-E', '-e', pattern, '--'],
      { ...this.git, okExitCodes: [1, 128] },
    );
    if (result.exitCode === 128) {
      throw new FileToolError(
        'invalid_pattern',
        pattern,
        `invalid search pattern: ${result.stderr.trim().slice(0, 300)}`,
      );
    }
    const matches: { path: string; line: number; text: string }[] = [];
    for (const row of result.stdout.split('\n')) {
      const [path, line, ...rest] = row.split('\0');
      if (path && line && matches.length < maxResults) {
        matches.push({ path, line: Number(line), text: rest.join('\0').slice(0, 300) });
      }
    }
    return matches;
  }

  /**
   * Pushes the ticket branch to the remote (fast-forward only), with the credentials given to
   * {@link GitWorkspace.open} passed through askpass for this one command.
   */
  async push(): Promise<void> {
    const env = this.credentials
      ? askpassEnv(await writeAskpassScript(join(this.gitDir, 'tandem')), this.credentials)
      : undefined;
    await runGit(
      [
        'push',
        '-q',
        '--no-verify',
        '--no-recurse-submodules',
        '--',
        this.remote,
        `refs/heads/${this.branch}:refs/heads/${this.branch}`,
      ],
      { ...this.git, ...(env ? { env } : {}) },
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function revParse(git: RunGitOptions, ref: string): Promise<string | null> {
  const result = await runGit(['rev-parse', '-q', '--verify', `${ref}^{commit}`], {
    ...git,
    okExitCodes: [1],
  });
  return result.exitCode === 0 ? result.stdout.trim() : null;
}

async function isAncestor(
  git: RunGitOptions,
  ancestor: string,
  descendant: string,
): Promise<boolean> {
  const result = await runGit(['merge-base', '--is-ancestor', ancestor, descendant], {
    ...git,
    okExitCodes: [1],
  });
  return result.exitCode === 0;
}

async function defaultBranch(
  remote: string,
  gitDir: string,
  env: Record<string, string> | undefined,
): Promise<string> {
  const out = (
    await runGit(['ls-remote', '--symref', '--', remote, 'HEAD'], {
      gitDir,
      ...(env ? { env } : {}),
    })
  ).stdout;
  const match = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out);
  if (!match?.[1]) {
    throw new GitCommandError(['ls-remote', '--symref'], undefined, 'remote has no default branch');
  }
  return assertBranchName(match[1]);
}
