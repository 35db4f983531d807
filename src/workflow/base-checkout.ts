/**
 * A scratch checkout of a repository's base branch for jobs that only read it (the Architect's repository
 * map, the code index): cloned into a directory of the job, handed to `use`, and removed afterwards.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GitWorkspace } from '../git/git-workspace.js';
import type { ForgeKind, RepoRef } from '../forge/types.js';
import type { WorkflowDeps } from './workflow-deps.js';

/**
 * Clones `base` of `ref` into `<workDir>/<dirName>` (credentials from the forge for a URL remote) and
 * runs `use` on the workspace; the directory is removed whatever happens.
 * @throws GitCommandError when the clone fails; whatever `use` throws
 */
export async function withBaseCheckout<T>(
  deps: WorkflowDeps,
  target: { ref: RepoRef; kind: ForgeKind; base: string; dirName: string },
  use: (ws: GitWorkspace) => Promise<T>,
): Promise<T> {
  const forge = deps.forgeFor(target.kind);
  const remote = deps.remoteUrl(target.kind, target.ref);
  const dir = join(deps.workDir, target.dirName.replace(/[^A-Za-z0-9_-]/g, '_'));
  try {
    const credentials = remote.includes('://')
      ? await forge.pushCredentials(target.ref)
      : undefined;
    const ws = await GitWorkspace.open({
      remote,
      baseBranch: target.base,
      branch: `tandem-read-${Date.now().toString(36)}`,
      gitDir: join(dir, 'git'),
      workTree: join(dir, 'tree'),
      ...(credentials ? { credentials } : {}),
    });
    return await use(ws);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
