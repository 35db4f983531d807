/**
 * Request moves that touch the forge: approval (records the approved spec's blob sha), the hold when an
 * approved spec is edited, and completion when every ticket is done.
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { RepoPolicy } from '../../config/repo-policy.js';
import { events, requests } from '../../db/schema.js';
import type { ForgeFile } from '../../forge/types.js';
import { recordEvent } from '../event-log.js';
import { repoRefOf, type RepositoryRow } from '../repository-store.js';
import { transitionRequest, type RequestRow } from './request-store.js';
import { specBranch } from './spec-publisher.js';
import { forgeKind } from '../tickets/ticket-flow.js';
import { ticketsOfRequest } from '../tickets/ticket-store.js';
import type { WorkflowDeps } from '../workflow-deps.js';

/** The spec file as it stands now: on the spec branch while the PR is open, else on the default branch. */
export async function currentSpecFile(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  request: RequestRow,
): Promise<ForgeFile | null> {
  if (request.specPath === null) {
    return null;
  }
  const forge = deps.forgeFor(forgeKind(repo));
  const ref = repoRefOf(repo);
  const onBranch = await forge.getFile(
    ref,
    request.specPath,
    specBranch(policy, request.issueNumber),
  );
  if (request.specPrNumber !== null) {
    const pr = await forge.getPullRequest(ref, request.specPrNumber);
    if (pr.state === 'open' && onBranch) {
      return onBranch;
    }
  }
  return (await forge.getFile(ref, request.specPath)) ?? onBranch;
}

/**
 * Approves a request in `spec_review` or `on_hold` and enqueues the Architect's `plan` job.
 * @returns false (nothing done) when the request is in another state or has no spec yet
 */
export async function approveRequest(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  request: RequestRow,
  approver: string,
  cause: { commentId?: number } = {},
): Promise<boolean> {
  if (request.state !== 'spec_review' && request.state !== 'on_hold') {
    return false;
  }
  const file = await currentSpecFile(deps, repo, policy, request);
  if (file === null) {
    return false;
  }
  const approved = await transitionRequest(
    deps.db,
    request,
    'approved',
    { approvedSpecSha: file.sha, approvedBy: approver },
    { by: approver, ...cause },
  );
  if (!repo.paused) {
    await deps.enqueue.enqueue(
      'plan',
      { requestId: approved.id },
      { dedupe: { id: `plan-${approved.id}` }, priority: policy.priority },
    );
  }
  return true;
}

/**
 * Puts approved requests whose spec file changed since approval on hold, with a comment asking for a
 * new `/approve`. `branch` is the branch that moved (spec branch or default branch).
 * @returns the ids of the requests put on hold
 */
export async function holdEditedSpecs(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  onlyRequestId?: number,
): Promise<number[]> {
  const rows = await deps.db
    .select()
    .from(requests)
    .where(
      and(
        eq(requests.repositoryId, repo.id),
        inArray(requests.state, ['approved', 'planning', 'in_progress']),
        ...(onlyRequestId === undefined ? [] : [eq(requests.id, onlyRequestId)]),
      ),
    );
  const held: number[] = [];
  for (const request of rows) {
    if (request.approvedSpecSha === null) {
      continue;
    }
    const file = await currentSpecFile(deps, repo, policy, request);
    if (file === null || file.sha === request.approvedSpecSha) {
      continue;
    }
    await transitionRequest(deps.db, request, 'on_hold', {}, { reason: 'spec_edited' });
    const forge = deps.forgeFor(forgeKind(repo));
    await forge.ensureComment(
      repoRefOf(repo),
      request.issueNumber,
      `on-hold-${file.sha.slice(0, 12)}`,
      `The spec \`${request.specPath}\` changed after it was approved, so this request is **on hold**. ` +
        'Tickets already running finish; nothing new starts. Comment `/approve` to approve the new version.',
    );
    held.push(request.id);
  }
  return held;
}

/** Marks the request done when all its tickets are done, with a closing comment. */
export async function finishRequestIfDone(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  requestId: number,
  request: RequestRow,
): Promise<boolean> {
  const all = await ticketsOfRequest(deps.db, requestId);
  if (
    request.state !== 'in_progress' ||
    all.length === 0 ||
    !all.every((t) => t.state === 'done')
  ) {
    return false;
  }
  await transitionRequest(deps.db, request, 'done');
  await deps
    .forgeFor(forgeKind(repo))
    .ensureComment(
      repoRefOf(repo),
      request.issueNumber,
      'request-done',
      `All ${all.length} tickets are merged: this request is **done**.`,
    );
  await recordEvent(deps.db, { kind: 'request.done', repositoryId: repo.id, requestId });
  return true;
}

/**
 * The data of the request's latest `request.transition` event into `to` (`{ from, to, … }`), or null.
 * Lets a retried event or command recognise a transition its own first run made.
 */
export async function lastTransitionData(
  deps: Pick<WorkflowDeps, 'db'>,
  requestId: number,
  to: string,
): Promise<Record<string, unknown> | null> {
  const [row] = await deps.db
    .select({ data: events.data })
    .from(events)
    .where(
      and(
        eq(events.requestId, requestId),
        eq(events.kind, 'request.transition'),
        sql`${events.data}->>'to' = ${to}`,
      ),
    )
    .orderBy(desc(events.id))
    .limit(1);
  return (row?.data as Record<string, unknown> | undefined) ?? null;
}
