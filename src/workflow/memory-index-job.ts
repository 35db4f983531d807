/**
 * The `memory-index` job: brings a repository's code index up to date with its base branch (only changed
 * files are chunked again, see `src/memory/index-code.ts`) and embeds what waits for a vector. Scheduled
 * when the Architect plans, when a ticket's pull request is merged and on every push to the base branch,
 * deduplicated per repository. An embedding model that does not answer leaves the text indexed and the
 * job finished: the vectors follow at the next run or with `tandem memory reembed`.
 */
import { indexCode } from '../memory/index-code.js';
import { memoryScope } from '../memory/project-memory.js';
import { withBaseCheckout } from './base-checkout.js';
import { policyForJob } from './policy-guard.js';
import { getRepository, repoRefOf } from './repository-store.js';
import { forgeKind } from './tickets/ticket-flow.js';
import type { MemoryIndexJob } from './work-jobs.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** Runs a `memory-index` job; returns what it did (or `skipped`). */
export async function runMemoryIndexJob(
  deps: WorkflowDeps,
  data: MemoryIndexJob,
  jobId: string,
): Promise<{ changed: number; removed: number; embedded: number } | 'skipped'> {
  const memory = deps.memory;
  const repo = await getRepository(deps.db, data.repositoryId);
  const policy = await policyForJob(deps, repo);
  if (memory === undefined || policy === null || !policy.memory.enabled) {
    return 'skipped';
  }
  const ref = repoRefOf(repo);
  const kind = forgeKind(repo);
  const base = policy.branches.base || (await deps.forgeFor(kind).getDefaultBranch(ref));
  const report = await withBaseCheckout(
    deps,
    { ref, kind, base, jobId: `memory-${jobId}` },
    async ({ workspace, files, paths }) =>
      indexCode({
        store: memory.store,
        repositoryId: repo.id,
        tree: {
          branch: base,
          commit: workspace.baseCommit,
          files: paths,
          read: (p) => files.readFile(p),
        },
        logger: deps.logger,
      }),
  );
  let embedded = 0;
  try {
    embedded = await memory.embedBacklog(memoryScope(repo.id, policy));
  } catch (error) {
    deps.logger.warn(
      { repositoryId: repo.id, err: error instanceof Error ? error.message : String(error) },
      'memory: code indexed, vectors left for later',
    );
  }
  deps.logger.info(
    { repositoryId: repo.id, base, ...report, embedded },
    'memory: code index updated',
  );
  return { changed: report.changed, removed: report.removed, embedded };
}
