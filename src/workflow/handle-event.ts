/**
 * The router: one normalized forge event in, state changes and jobs out (DESIGN.md "The flow").
 * Runs in the `events` queue's processor. Order of work per event: record the repository, guard its
 * policy (an invalid policy opens the configuration-error issue and stops here), then route:
 *
 * | event | on | does |
 * | --- | --- | --- |
 * | issue opened / labelled with the trigger label (or any new issue with `allIssues`) | a new issue | request + `spec` job |
 * | comment with commands | request, spec PR, ticket, ticket PR | `handleCommands` |
 * | comment without commands | request or spec PR | `chat` job (deduplicated per request, newest wins) |
 * | review: changes requested (or comments) | ticket PR | `revise` job |
 * | review: changes requested | spec PR | back to drafting + `spec` job with the review |
 * | PR merged | ticket PR | ticket done, dependents start, request done when all are |
 * | PR synchronized / push | spec PR, spec branch or default branch | approved spec edited → on hold |
 */
import { and, eq, sql } from 'drizzle-orm';
import type { RepoPolicy } from '../config/repo-policy.js';
import { events } from '../db/schema.js';
import type { ForgeEvent } from '../forge/forge-event.js';
import type { Forge, RepoRef } from '../forge/types.js';
import { handleCommands, permissionsOf } from './handle-command.js';
import { updateDashboard } from './dashboard.js';
import { deliveryArrival } from './requests/delivery-arrival.js';
import { recordEvent } from './event-log.js';
import { CONFIG_ISSUE_TITLE, guardPolicy } from './policy-guard.js';
import { repoRefOf, upsertRepository, type RepositoryRow } from './repository-store.js';
import {
  finishRequestIfDone,
  holdEditedSpecs,
  lastTransitionData,
} from './requests/request-flow.js';
import {
  createRequest,
  findRequestByIssue,
  findRequestBySpecPr,
  getRequest,
  transitionRequest,
  type RequestRow,
} from './requests/request-store.js';
import { DASHBOARD_TITLE } from './dashboard.js';
import {
  currentActivation,
  ensureTicketJob,
  moveTicketOnForge,
  scheduleTickets,
  startTicketJob,
} from './tickets/ticket-flow.js';
import { findTicketByIssue, findTicketByPr } from './tickets/ticket-store.js';
import type { WorkflowDeps } from './workflow-deps.js';
import { enqueueCodeIndex } from './workflow-memory.js';

/** Routes one event. Throws on forge/database failures so the `events` job retries. */
export async function handleEvent(deps: WorkflowDeps, event: ForgeEvent): Promise<void> {
  if (!('repo' in event)) {
    for (const r of event.repositories) {
      await upsertRepository(deps.db, event.forge, { ...r, installationId: event.installationId });
    }
    return;
  }
  const repo = await upsertRepository(deps.db, event.forge, event.repo);
  await recordEvent(deps.db, {
    kind: 'forge.event',
    repositoryId: repo.id,
    jobId: event.deliveryId,
    data: { type: event.type, sender: event.sender.login },
  });
  const policy = await guardPolicy(deps, repo);
  if (policy === null) {
    return;
  }
  const forge = deps.forgeFor(event.forge);
  const ref = repoRefOf(repo);
  switch (event.type) {
    case 'issue.opened':
    case 'issue.labeled':
      return onIssue(deps, repo, policy, forge, ref, event);
    case 'comment.created':
      return onComment(deps, repo, policy, event);
    case 'review.submitted':
      return onReview(deps, repo, policy, event);
    case 'pull_request.closed':
      return onPullRequestClosed(deps, repo, policy, forge, event);
    case 'pull_request.synchronized': {
      const request = await findRequestBySpecPr(deps.db, repo.id, event.pullRequest.number);
      if (request) {
        // An `/approve` that arrived before this push approved the version before it: it is refused.
        await recordEvent(deps.db, {
          kind: 'spec.changed',
          repositoryId: repo.id,
          requestId: request.id,
          jobId: event.deliveryId,
          data: {
            head: event.pullRequest.headSha,
            by: event.sender.login,
            arrivedAt: (
              (await deliveryArrival(deps, event.deliveryId)) ?? new Date()
            ).toISOString(),
          },
        });
        await holdEditedSpecs(deps, repo, policy, request.id);
      }
      return;
    }
    case 'push': {
      const branch = event.ref.replace(/^refs\/heads\//, '');
      const onSpec = branch.startsWith(policy.branches.spec);
      const base = policy.branches.base || (await forge.getDefaultBranch(ref));
      if (onSpec || branch === base) {
        if ((await holdEditedSpecs(deps, repo, policy)).length > 0) {
          await updateDashboard(deps.db, forge, repo.id);
        }
      }
      if (branch === base) {
        await enqueueCodeIndex(deps, repo.id, policy);
      }
      return;
    }
    default:
      return;
  }
}

async function onIssue(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  forge: Forge,
  _ref: RepoRef,
  event: Extract<ForgeEvent, { type: 'issue.opened' | 'issue.labeled' }>,
): Promise<void> {
  const { issue } = event;
  const triggered =
    issue.labels.includes(policy.triggerLabel) ||
    (event.type === 'issue.opened' && policy.allIssues);
  const tandemIssue =
    issue.isPullRequest ||
    issue.labels.includes('tandem:ticket') ||
    issue.title === DASHBOARD_TITLE ||
    issue.title === CONFIG_ISSUE_TITLE ||
    issue.number === repo.dashboardIssueNumber ||
    (await findTicketByIssue(deps.db, repo.id, issue.number)) !== null;
  if (!triggered || tandemIssue || issue.state !== 'open') {
    return;
  }
  const { request } = await createRequest(deps.db, repo.id, issue.number, issue.title);
  // Also when the request exists but is still `new`: a retried delivery that recorded it and died
  // before adding the job, or a redelivered label (the job is deduplicated per request).
  if (request.state !== 'new' || repo.paused) {
    return;
  }
  await deps.enqueue.enqueue(
    'spec',
    { requestId: request.id },
    { dedupe: { id: `spec-${request.id}` }, priority: policy.priority },
  );
  await updateDashboard(deps.db, forge, repo.id);
}

async function onComment(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  event: Extract<ForgeEvent, { type: 'comment.created' }>,
): Promise<void> {
  const n = event.issue.number;
  const request =
    (await findRequestByIssue(deps.db, repo.id, n)) ??
    (event.issue.isPullRequest ? await findRequestBySpecPr(deps.db, repo.id, n) : null);
  const ticket =
    (await findTicketByIssue(deps.db, repo.id, n)) ??
    (event.issue.isPullRequest ? await findTicketByPr(deps.db, repo.id, n) : null);
  if (event.comment.commands.length > 0) {
    await handleCommands(deps, { repo, policy, threadNumber: n, request, ticket }, event);
    await updateDashboard(deps.db, deps.forgeFor(event.forge), repo.id);
    return;
  }
  if (request === null || repo.paused) {
    return;
  }
  const author = event.comment.author;
  if (
    !(await isRequestAuthor(deps, repo, request, event)) &&
    !(await mayChat(deps, repo, policy, author, event.forge))
  ) {
    await recordEvent(deps.db, {
      kind: 'comment.ignored',
      repositoryId: repo.id,
      requestId: request.id,
      data: { by: author, comment: event.comment.id, needs: policy.chatPermission },
    });
    deps.logger.info(
      { repo: `${repo.owner}/${repo.name}`, by: author, needs: policy.chatPermission },
      'comment not passed to the PM: the author lacks chatPermission',
    );
    return;
  }
  const mayApprove = policy.inferApproval
    ? (
        await permissionsOf(deps).check(
          deps.forgeFor(event.forge),
          repoRefOf(repo),
          event.comment.author,
          policy.approverPermission,
        )
      ).allowed
    : false;
  await deps.enqueue.enqueue(
    'chat',
    {
      requestId: request.id,
      threadNumber: n,
      comment: { id: event.comment.id, author: event.comment.author, body: event.comment.body },
      mayApprove,
    },
    {
      jobId: `chat-${request.id}-${event.comment.id}`,
      // A burst of comments on one thread runs once, on the newest (DESIGN.md: deduplication).
      dedupe: { id: `chat-${request.id}`, ttlMs: 5_000, replace: true },
      priority: policy.priority,
    },
  );
}

async function onReview(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  event: Extract<ForgeEvent, { type: 'review.submitted' }>,
): Promise<void> {
  const pr = event.pullRequest.number;
  const forge = deps.forgeFor(event.forge);
  const ticket = await findTicketByPr(deps.db, repo.id, pr);
  const request = ticket ? null : await findRequestBySpecPr(deps.db, repo.id, pr);
  if ((ticket === null && request === null) || event.review.state === 'approved') {
    return;
  }
  // A review steers the agents (a revision, a redraft): only for people with the policy's permission.
  if (!(await mayChat(deps, repo, policy, event.review.author, event.forge))) {
    await refuseReview(deps, repo, policy, event);
    return;
  }
  if (ticket) {
    if (ticket.state === 'in_progress' && event.review.id !== null) {
      // A retried delivery whose first run moved the ticket but died before adding the job.
      const activation = await currentActivation(deps, ticket.id);
      if (activation?.work.reviewId === event.review.id) {
        await ensureTicketJob(deps, ticket, policy.priority);
      }
      return;
    }
    if (ticket.state !== 'review') {
      return;
    }
    const comments = (await forge.listReviewComments(repoRefOf(repo), pr)).filter(
      (c) => event.review.id === null || c.reviewId === event.review.id,
    );
    const feedback = [
      ...(event.review.body.trim() ? [event.review.body.trim()] : []),
      ...comments.map((c) => `${c.path}${c.line === null ? '' : `:${c.line}`}: ${c.body}`),
    ];
    if (feedback.length === 0 || repo.paused) {
      return;
    }
    const reviews = await reviewCount(deps, ticket.id);
    if (reviews >= policy.budgets.revisions) {
      await forge.ensureComment(
        repoRefOf(repo),
        pr,
        `revisions-exhausted-${event.review.id ?? event.deliveryId}`,
        `This ticket has had ${reviews} revision${reviews === 1 ? '' : 's'}, the limit of this repository ` +
          '(`budgets.revisions`), so the pair does not revise it again: a person takes it from here.',
      );
      return;
    }
    await startTicketJob(deps, repo, policy, ticket, {
      runKey: `t${ticket.id}-rev${reviews + 1}`,
      feedback,
      reviewId: event.review.id,
    });
    await updateDashboard(deps.db, forge, repo.id);
    return;
  }
  if (event.review.state !== 'changes_requested' || request === null) {
    return;
  }
  const feedback = event.review.body || 'changes requested';
  if (request.state === 'spec_review') {
    await transitionRequest(
      deps.db,
      request,
      'drafting',
      {},
      { review: event.review.author, reviewId: event.review.id, feedback },
    );
  } else if (
    request.state !== 'drafting' ||
    (await lastTransitionData(deps, request.id, 'drafting'))?.reviewId !== event.review.id
  ) {
    return;
  }
  // Also on a retried delivery that moved the request but died before adding the job (deduplicated).
  await deps.enqueue.enqueue(
    'spec',
    { requestId: request.id, feedback },
    { dedupe: { id: `spec-${request.id}` }, priority: policy.priority },
  );
}

async function reviewCount(deps: WorkflowDeps, ticketId: number): Promise<number> {
  const [row] = await deps.db
    .select({ n: sql<number>`count(*)::int` })
    .from(events)
    .where(
      and(
        eq(events.ticketId, ticketId),
        eq(events.kind, 'ticket.transition'),
        sql`${events.data}->>'review' = 'true'`,
      ),
    );
  return row?.n ?? 0;
}

async function onPullRequestClosed(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  forge: Forge,
  event: Extract<ForgeEvent, { type: 'pull_request.closed' }>,
): Promise<void> {
  if (!event.pullRequest.merged) {
    return;
  }
  const ticket = await findTicketByPr(deps.db, repo.id, event.pullRequest.number);
  if (!ticket) {
    return;
  }
  // Already done: a retried delivery finishes what its first run started (request, scheduling).
  if (ticket.state !== 'done') {
    await moveTicketOnForge(deps, repo, ticket, 'done', { blockedReason: null });
  }
  if (ticket.requestId !== null) {
    await finishRequestIfDone(
      deps,
      repo,
      ticket.requestId,
      await getRequest(deps.db, ticket.requestId),
    );
  }
  await scheduleTickets(deps, repo, policy);
  await updateDashboard(deps.db, forge, repo.id);
  // The merge moved the base branch: the code index follows (a push event may come too; deduplicated).
  await enqueueCodeIndex(deps, repo.id, policy);
}

/** True when `login` has the policy's `chatPermission` on the repository (looked up, cached). */
async function mayChat(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  login: string,
  forge: ForgeEvent['forge'],
): Promise<boolean> {
  const { allowed } = await permissionsOf(deps).check(
    deps.forgeFor(forge),
    repoRefOf(repo),
    login,
    policy.chatPermission,
  );
  return allowed;
}

/** True when the comment's author opened the request's issue (always heard by the PM). */
async function isRequestAuthor(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  request: RequestRow,
  event: Extract<ForgeEvent, { type: 'comment.created' }>,
): Promise<boolean> {
  const opener =
    event.issue.number === request.issueNumber
      ? event.issue.author
      : (await deps.forgeFor(event.forge).getIssue(repoRefOf(repo), request.issueNumber)).author;
  return opener === event.comment.author;
}

/** One note on the PR that a review was not acted on, and the event log entry. */
async function refuseReview(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  event: Extract<ForgeEvent, { type: 'review.submitted' }>,
): Promise<void> {
  await recordEvent(deps.db, {
    kind: 'review.ignored',
    repositoryId: repo.id,
    data: { by: event.review.author, pr: event.pullRequest.number, needs: policy.chatPermission },
  });
  await deps
    .forgeFor(event.forge)
    .ensureComment(
      repoRefOf(repo),
      event.pullRequest.number,
      `review-refused-${event.review.id ?? event.deliveryId}`,
      `Thanks for the review, @${event.review.author}. Tandem acts on reviews only from people with ` +
        `**${policy.chatPermission}** permission on this repository, so this one does not start a revision; ` +
        'a maintainer can ask for the same changes.',
    );
}
