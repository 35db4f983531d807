/**
 * Slash commands on request, spec-PR and ticket threads (DESIGN.md "Commands"). Permissions go through
 * the forge layer's `authorizeCommands` with the worker's {@link PermissionChecker} (TTL cache): every
 * command but `/status` needs at least the policy's `approverPermission`, and refused commands get one
 * polite refusal comment. Answers are comments with a marker per (comment, command), so a redelivered
 * event never answers twice.
 */
import { authorizeCommands, type CommandEvent } from '../commands/authorize-commands.js';
import { createPermissionChecker, type PermissionChecker } from '../commands/permission-checker.js';
import type { RepoPolicy, Role } from '../config/repo-policy.js';
import type { CommentEvent } from '../forge/forge-event.js';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { events, requests } from '../db/schema.js';
import { deliveryArrival } from './requests/delivery-arrival.js';
import { recordEvent } from './event-log.js';
import { escapeInline } from './markdown.js';
import { repoRefOf, updateRepository, type RepositoryRow } from './repository-store.js';
import { approveRequest, lastTransitionData } from './requests/request-flow.js';
import { transitionRequest, type RequestRow } from './requests/request-store.js';
import { forgeKind, moveTicketOnForge, scheduleTickets } from './tickets/ticket-flow.js';
import { readWaits } from './director/read-waits.js';
import { getTicket, updateTicket, type TicketRow } from './tickets/ticket-store.js';
import type { WaitNotes } from './director/wait-reasons.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** Where the command was given. */
export interface CommandTarget {
  repo: RepositoryRow;
  policy: RepoPolicy;
  /** Issue or PR number the comment is on. */
  threadNumber: number;
  request: RequestRow | null;
  ticket: TicketRow | null;
}

/**
 * The permission checker of `deps`, or a fresh one without caching across events when the worker
 * gave none (the cache then only spans one comment's commands).
 */
export function permissionsOf(deps: WorkflowDeps): PermissionChecker {
  return deps.permissions ?? createPermissionChecker({ ttlMs: 0 });
}

/**
 * Runs the commands of one new comment, in order: refused ones get the refusal comment (logged as
 * `command.refused`), accepted ones run and are answered (logged as `command.accepted`).
 * @throws ForgeRequestError when the permission lookup or a comment fails (the event job retries;
 *   markers make the retry idempotent)
 */
export async function handleCommands(
  deps: WorkflowDeps,
  target: CommandTarget,
  event: CommentEvent,
): Promise<void> {
  const forge = deps.forgeFor(forgeKind(target.repo));
  const ref = repoRefOf(target.repo);
  const { accepted, refused } = await authorizeCommands(event, {
    forge,
    permissions: permissionsOf(deps),
    required: target.policy.approverPermission,
  });
  for (const command of refused) {
    await recordEvent(deps.db, {
      kind: 'command.refused',
      repositoryId: target.repo.id,
      requestId: target.request?.id ?? null,
      ticketId: target.ticket?.id ?? null,
      data: { command: command.name, by: event.comment.author },
    });
  }
  for (const command of accepted) {
    await recordEvent(deps.db, {
      kind: 'command.accepted',
      repositoryId: target.repo.id,
      requestId: target.request?.id ?? null,
      ticketId: target.ticket?.id ?? null,
      data: { command: command.name, args: command.args, by: command.user },
    });
    const text = await runCommand(deps, target, command, event.deliveryId);
    await forge.ensureComment(
      ref,
      target.threadNumber,
      `cmd-${command.commentId}-${command.name}`,
      text,
    );
  }
}

async function runCommand(
  deps: WorkflowDeps,
  t: CommandTarget,
  command: CommandEvent,
  deliveryId: string,
): Promise<string> {
  const author = command.user;
  const { repo, policy } = t;
  switch (command.name) {
    case 'approve': {
      if (!t.request) {
        return '`/approve` works on a request issue or its spec pull request.';
      }
      const approvedText = `Approved by @${author}. The Architect is splitting the spec into tickets.`;
      if (await madeByThisComment(deps, t.request.id, 'approved', command.commentId)) {
        // A retried event whose first run approved: the plan job is deduplicated per request.
        if (t.request.state === 'approved' || t.request.state === 'planning') {
          await enqueuePlan(deps, t.request.id, policy);
        }
        return approvedText;
      }
      const stale = await approvalIsStale(deps, repo, t.request, command.args, deliveryId);
      if (stale !== null) {
        return stale;
      }
      const ok = await approveRequest(deps, repo, policy, t.request, author, {
        commentId: command.commentId,
      });
      return ok ? approvedText : `Nothing to approve: this request is \`${t.request.state}\`.`;
    }
    case 'reject': {
      const why = command.args || 'no reason given';
      const again =
        t.request !== null &&
        t.request.state === 'drafting' &&
        (await madeByThisComment(deps, t.request.id, 'drafting', command.commentId));
      if (!t.request || (t.request.state !== 'spec_review' && !again)) {
        return '`/reject` works on a request whose spec is under review.';
      }
      if (!again) {
        await transitionRequest(
          deps.db,
          t.request,
          'drafting',
          {},
          { rejectedBy: author, commentId: command.commentId },
        );
      }
      await deps.enqueue.enqueue(
        'spec',
        { requestId: t.request.id, feedback: why },
        { dedupe: { id: `spec-${t.request.id}` }, priority: policy.priority },
      );
      return `Rejected: the PM will revise the spec (“${why}”).`;
    }
    case 'stop': {
      if (!t.ticket || t.ticket.state !== 'in_progress') {
        return '`/stop` works on a ticket a pair is working on.';
      }
      await recordEvent(deps.db, {
        kind: 'ticket.stop_requested',
        repositoryId: repo.id,
        ticketId: t.ticket.id,
        data: { by: author },
      });
      return 'Stopping at the next safe point; the checkpoint is kept. `/retry` resumes.';
    }
    case 'retry': {
      if (t.ticket && (t.ticket.state === 'blocked' || t.ticket.state === 'todo')) {
        if (t.ticket.state === 'blocked') {
          await moveTicketOnForge(deps, repo, t.ticket, 'todo', { blockedReason: null });
        }
        await scheduleTickets(deps, repo, policy);
        return 'Retrying from the last checkpoint.';
      }
      if (t.request?.state === 'blocked' || t.request?.state === 'drafting') {
        return retryRequest(deps, repo, policy, t.request);
      }
      return 'Nothing to retry here.';
    }
    case 'pause':
      await updateRepository(deps.db, repo.id, { paused: true });
      return 'Paused: running jobs finish their step, nothing new starts. `/resume` continues.';
    case 'resume': {
      await updateRepository(deps.db, repo.id, { paused: false });
      await resumeRequests(deps, repo, policy);
      await scheduleTickets(deps, { ...repo, paused: false }, policy);
      return 'Resumed.';
    }
    case 'status': {
      const { tickets, waits } = await readWaits(deps, repo, policy);
      return statusTable(tickets, t.request, waits);
    }
    case 'escalate': {
      if (!t.ticket) {
        return '`/escalate` works on a ticket.';
      }
      const fresh = await getTicket(deps.db, t.ticket.id);
      const next: Record<string, number> = { ...fresh.escalation };
      const moved: string[] = [];
      for (const role of ['developer', 'tester'] as Role[]) {
        const chain = [policy.models[role].alias, ...policy.models[role].escalation];
        const at = next[role] ?? 0;
        if (at + 1 < chain.length) {
          next[role] = at + 1;
          moved.push(`${role} → ${chain[at + 1] ?? ''}`);
        }
      }
      await updateTicket(deps.db, fresh.id, { escalation: next });
      return moved.length > 0
        ? `Escalated: ${moved.join(', ')}. Takes effect from the next step.`
        : 'The escalation chains are exhausted; nothing to escalate to.';
    }
  }
}

/**
 * `/retry` on a request: a blocked one goes back to the step that blocked (recorded as `from` on its
 * transition into `blocked`): drafting → a `spec` job, approved or planning → a `plan` job, in progress
 * → the ticket scheduler. A request in `drafting` gets its `spec` job again.
 */
async function retryRequest(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  request: RequestRow,
): Promise<string> {
  const recorded = (await lastTransitionData(deps, request.id, 'blocked'))?.from;
  const from = typeof recorded === 'string' ? recorded : 'drafting';
  if (request.state === 'blocked' && (from === 'approved' || from === 'planning')) {
    await transitionRequest(deps.db, request, 'planning', {}, { retry: true });
    await enqueuePlan(deps, request.id, policy);
    return 'Retrying the plan: the Architect starts again.';
  }
  if (request.state === 'blocked' && from === 'in_progress') {
    await transitionRequest(deps.db, request, 'in_progress', {}, { retry: true });
    await scheduleTickets(deps, repo, policy);
    return 'Retrying: ready tickets start again.';
  }
  if (request.state === 'blocked') {
    await transitionRequest(deps.db, request, 'drafting', {}, { retry: true });
  }
  await deps.enqueue.enqueue(
    'spec',
    { requestId: request.id },
    { dedupe: { id: `spec-${request.id}` }, priority: policy.priority },
  );
  return 'Retrying the spec.';
}

async function enqueuePlan(
  deps: WorkflowDeps,
  requestId: number,
  policy: RepoPolicy,
): Promise<void> {
  await deps.enqueue.enqueue(
    'plan',
    { requestId },
    { dedupe: { id: `plan-${requestId}` }, priority: policy.priority },
  );
}

/**
 * Why an `/approve` must not approve the spec as it is now, or null when it may. It pins the version
 * the approver saw: with a commit sha argument (`/approve 1a2b3c4`), the spec PR's head must be that
 * commit; without one, the spec must not have changed (a new draft published, or a push to the spec PR)
 * after the comment's delivery arrived.
 */
async function approvalIsStale(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  request: RequestRow,
  args: string,
  deliveryId: string,
): Promise<string | null> {
  const pinned = args.trim().toLowerCase();
  if (/^[0-9a-f]{7,40}$/.test(pinned) && request.specPrNumber !== null) {
    const pr = await deps
      .forgeFor(forgeKind(repo))
      .getPullRequest(repoRefOf(repo), request.specPrNumber);
    return pr.headSha.toLowerCase().startsWith(pinned)
      ? null
      : `Not approved: the spec pull request is at \`${pr.headSha.slice(0, 7)}\`, not \`${pinned}\`. ` +
          'Review the current version and comment `/approve` again.';
  }
  const arrived = await deliveryArrival(deps, deliveryId);
  const changed = await lastSpecChange(deps, request.id);
  if (arrived !== null && changed !== null && changed > arrived) {
    return (
      'Not approved: the spec changed after this comment was made. Review the new version and comment ' +
      '`/approve` again (or `/approve <commit>` to approve one exact version).'
    );
  }
  return null;
}

/**
 * When the request's spec last changed: a draft published (its transition into `spec_review`) or a push
 * to the spec PR (`spec.changed`, stamped with that push's arrival), or null.
 */
async function lastSpecChange(deps: WorkflowDeps, requestId: number): Promise<Date | null> {
  const [row] = await deps.db
    .select({
      at: sql<string | null>`max(case when ${events.kind} = 'spec.changed'
        then coalesce((${events.data}->>'arrivedAt')::timestamptz, ${events.at}) else ${events.at} end)`,
    })
    .from(events)
    .where(
      and(
        eq(events.requestId, requestId),
        sql`(${events.kind} = 'spec.changed' or (${events.kind} = 'request.transition' and ${events.data}->>'to' = 'spec_review'))`,
      ),
    );
  return row?.at ? new Date(row.at) : null;
}

/** True when the request's latest transition into `to` was made by this comment's command. */
async function madeByThisComment(
  deps: WorkflowDeps,
  requestId: number,
  to: string,
  commentId: number,
): Promise<boolean> {
  return (await lastTransitionData(deps, requestId, to))?.commentId === commentId;
}

/**
 * Re-enqueues the planning work a pause skipped: a `spec` job for requests recorded while paused
 * (`new`) and a `plan` job for approved requests (`approved`, `planning`). The
 * jobs are deduplicated per request, so a request already queued is not queued twice.
 */
async function resumeRequests(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
): Promise<void> {
  const rows = await deps.db
    .select()
    .from(requests)
    .where(
      and(
        eq(requests.repositoryId, repo.id),
        inArray(requests.state, ['new', 'approved', 'planning']),
      ),
    );
  for (const r of rows) {
    if (r.state === 'approved' || r.state === 'planning') {
      await deps.enqueue.enqueue(
        'plan',
        { requestId: r.id },
        { dedupe: { id: `plan-${r.id}` }, priority: policy.priority },
      );
    } else {
      await deps.enqueue.enqueue(
        'spec',
        { requestId: r.id },
        { dedupe: { id: `spec-${r.id}` }, priority: policy.priority },
      );
    }
  }
}

/**
 * The `/status` answer: a Markdown table of the repository's tickets (only the request's when given),
 * with why each waiting ticket waits and its place in the to-do or pair queue (`waits`).
 */
export function statusTable(
  tickets: readonly TicketRow[],
  request: RequestRow | null,
  waits: WaitNotes = { repository: null, tickets: new Map() },
): string {
  const rows = request ? tickets.filter((x) => x.requestId === request.id) : tickets;
  const head = [
    ...(request ? [`Request #${request.issueNumber} is \`${request.state}\`.`] : []),
    ...(waits.repository ? [waits.repository] : []),
  ]
    .map((line) => `${line}\n\n`)
    .join('');
  if (rows.length === 0) {
    return `${head}No tickets yet.`;
  }
  return [
    `${head}| ticket | title | state | PR | note |`,
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (x) =>
        `| #${x.issueNumber ?? '?'} | ${escapeInline(x.title)} | ${x.state} | ${x.prNumber ? `#${x.prNumber}` : ''} | ${escapeInline(x.blockedReason ?? waits.tickets.get(x.id) ?? '')} |`,
    ),
  ].join('\n');
}
