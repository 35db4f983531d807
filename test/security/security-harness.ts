/**
 * Set-up of the containment suites: the path an attack takes in production. A real Docker sandbox from
 * `DockerSandboxProvider.acquire` (its own fresh workspace), a real source repository, and
 * `GitWorkspace.open` over the sandbox's workspace with the git directory outside it, then
 * `chownWorkspace()` so the sandbox user can write. Every test gets its own directory, provider (own
 * worker id) and container; `cleanup()` removes them.
 */
import { lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { GitWorkspace } from '../../src/git/git-workspace.js';
import type { DockerSandboxProviderOptions } from '../../src/sandbox/docker-sandbox-provider.js';
import type { Sandbox, SandboxLimits } from '../../src/sandbox/types.js';
import { makeProvider, request } from '../sandbox/sandbox-harness.js';

/** One attack's stage. */
export interface Stage {
  /** Host directory of the test: outside the workspace, where an escaped command would leave marks. */
  dir: string;
  /** The source repository (remote of the workspace). */
  source: string;
  /** The git directory (outside the workspace). */
  gitDir: string;
  sandbox: Sandbox;
  workspace: GitWorkspace;
  /** Re-opens the workspace over the same git directory and work tree (a resumed job). */
  reopen(): Promise<GitWorkspace>;
  /** Runs `sh -c script` in the sandbox as the sandbox user, in /workspace. */
  sh(script: string, timeoutMs?: number): ReturnType<Sandbox['exec']>;
  cleanup(): Promise<void>;
}

/** Runs git on the test's own repositories (never on the workspace). */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await execa('git', ['-C', cwd, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]))
    .stdout;
}

/** Options of {@link stage}. */
export interface StageOptions {
  /** Files of the source repository's first commit (path → content). */
  files?: Record<string, string>;
  /** Runs on the source repository after the first commit (e.g. to add a submodule). */
  prepare?: (source: string, dir: string) => Promise<void>;
  limits?: SandboxLimits;
  provider?: Partial<DockerSandboxProviderOptions>;
}

/** Builds a stage: source repository, sandbox from `acquire`, workspace opened over it. */
export async function stage(options: StageOptions = {}): Promise<Stage> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-sec-'));
  const source = join(dir, 'source');
  await mkdir(source);
  await execa('git', ['init', '-q', '-b', 'main', source]);
  for (const [path, content] of Object.entries(
    options.files ?? { 'lib.js': 'export const one = 1;\n' },
  )) {
    await mkdir(join(source, path, '..'), { recursive: true });
    await writeFile(join(source, path), content);
  }
  await git(source, 'add', '-A');
  await git(source, 'commit', '-qm', 'init');
  await options.prepare?.(source, dir);
  const { provider, cleanup: removeProvider } = await makeProvider(options.provider);
  const sandbox = await provider.acquire(request(options.limits ? { limits: options.limits } : {}));
  const gitDir = join(dir, 'git');
  const open = () =>
    GitWorkspace.open({
      remote: source,
      branch: 'tandem/7-attack',
      gitDir,
      workTree: sandbox.spec.workspaceDir,
    });
  const workspace = await open();
  await sandbox.chownWorkspace();
  return {
    dir,
    source,
    gitDir,
    sandbox,
    workspace,
    reopen: open,
    sh: (script, timeoutMs = 30_000) => sandbox.exec(['sh', '-c', script], { timeoutMs }),
    async cleanup() {
      await sandbox.destroy().catch(() => undefined);
      await removeProvider();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** True when `path` exists on the host (a dangling symlink counts). */
export async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
