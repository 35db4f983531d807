import type { RepoPolicy } from '../../config/repo-policy.js';
import type { Forge, ForgeIssue, RepoRef } from '../../forge/types.js';
import type { PlanningModel } from '../../planning/planning-model.js';
import { policyForJob } from '../policy-guard.js';
import { requestSessionScope, withinQuota } from '../director/repository-quota.js';
import { getRepository, repoRefOf, type RepositoryRow } from '../repository-store.js';
import { getRequest, type RequestRow } from './request-store.js';
import { forgeKind } from '../tickets/ticket-flow.js';
import type { WorkflowDeps } from '../workflow-deps.js';

/** What every request job (`spec`, `chat`, `plan`) starts from. */
export interface RequestContext {
  request: RequestRow;
  repo: RepositoryRow;
  policy: RepoPolicy;
  forge: Forge;
  ref: RepoRef;
}

/**
 * Loads a request with its repository, valid policy and forge, or returns null when nothing may run for
 * the repository: its policy is invalid (`policyForJob` keeps the configuration-error issue) or it is
 * paused (`/pause`, or at a quota: then the dashboard issue says so once and the reconciler adds the job
 * again when the next period starts).
 * @throws when the request or its repository row does not exist.
 */
export async function openRequestContext(
  deps: WorkflowDeps,
  requestId: number,
): Promise<RequestContext | null> {
  const request = await getRequest(deps.db, requestId);
  const repo = await getRepository(deps.db, request.repositoryId);
  const policy = await policyForJob(deps, repo);
  if (policy === null || repo.paused || !(await withinQuota(deps, repo, policy))) {
    return null;
  }
  return { request, repo, policy, forge: deps.forgeFor(forgeKind(repo)), ref: repoRefOf(repo) };
}

/** What the PM's jobs (`spec`, `chat`) start from: the request context, its issue and the PM's model. */
export interface PmContext extends RequestContext {
  issue: ForgeIssue;
  /** The planning model, on the request's shared budget (`requestSessionScope`). */
  model: PlanningModel;
}

/**
 * {@link openRequestContext}, then the request's issue from the forge and the planning model on the
 * request's budget. Null when nothing may run (as `openRequestContext`).
 * @throws what `openRequestContext` and the forge's `getIssue` throw.
 */
export async function openPmContext(
  deps: WorkflowDeps,
  requestId: number,
): Promise<PmContext | null> {
  const context = await openRequestContext(deps, requestId);
  if (context === null) {
    return null;
  }
  const { repo, policy, forge, ref, request } = context;
  const issue = await forge.getIssue(ref, request.issueNumber);
  const model = deps.planningModel(await requestSessionScope(deps, repo, policy, request.id));
  return { ...context, issue, model };
}
