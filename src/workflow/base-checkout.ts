/**
 * A scratch checkout of the base branch for the planning agents (the PM's repository map, the
 * Architect's map, search hits and file contents): cloned into the job's directory with the repository's
 * push credentials through askpass, read through the confined workspace file access (no link followed,
 * at most 1 MiB per file), and removed afterwards whatever happens.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GitWorkspace } from '../git/git-workspace.js';
import type { RepoRef } from '../forge/types.js';
import { WorkspaceFiles } from '../sandbox/workspace-files.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** What {@link withBaseCheckout} hands to its callback. */
export interface BaseCheckout {
  workspace: GitWorkspace;
  files: WorkspaceFiles;
  /** Files git tracks on the base branch, sorted. */
  paths: string[];
}

/**
 * Clones `base` of the repository into a scratch directory named after `jobId`, runs `use` on it and
 * removes the directory. Git failures (an unreachable remote, an empty repository) are thrown.
 */
export async function withBaseCheckout<T>(
  deps: Pick<WorkflowDeps, 'forgeFor' | 'remoteUrl' | 'workDir'>,
  target: { ref: RepoRef; kind: 'github' | 'gitea'; base: string; jobId: string },
  use: (checkout: BaseCheckout) => Promise<T>,
): Promise<T> {
  const forge = deps.forgeFor(target.kind);
  const remote = deps.remoteUrl(target.kind, target.ref);
  const dir = join(deps.workDir, `checkout-${target.jobId.replace(/[^A-Za-z0-9_-]/g, '_')}`);
  try {
    const credentials = remote.includes('://')
      ? await forge.pushCredentials(target.ref)
      : undefined;
    const workspace = await GitWorkspace.open({
      remote,
      baseBranch: target.base,
      branch: `tandem-checkout-${Date.now().toString(36)}`,
      gitDir: join(dir, 'git'),
      workTree: join(dir, 'tree'),
      ...(credentials ? { credentials } : {}),
    });
    const files = await WorkspaceFiles.open(workspace.workTree);
    return await use({ workspace, files, paths: await workspace.listFiles() });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
