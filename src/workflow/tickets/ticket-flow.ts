/**
 * Ticket moves that touch both the database and the forge: a transition mirrored as the `tandem:*`
 * column label on the ticket issue, and the scheduler that starts ready tickets within the
 * repository's `maxActiveTickets` (DESIGN.md: dependencies done → todo → a pair job).
 *
 * Dependencies are gated here, on the database, rather than with BullMQ flows: a ticket is done when a
 * person merges its PR, an event outside any job, while a flow's parent would start when the child
 * pair job completes (PR opened). docs/deployment.md ("Design choices") records this.
 */
import type { RepoPolicy } from '../../config/repo-policy.js';
import type { Forge, RepoRef } from '../../forge/types.js';
import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { events, requests } from '../../db/schema.js';
import { recordEvent } from '../event-log.js';
import { requestBudgetExhausted, requestUsage, withinQuota } from '../director/repository-quota.js';
import { repoRefOf, type RepositoryRow } from '../repository-store.js';
import {
  activeTicketCount,
  todoTickets,
  transitionTicket,
  unblockedBacklog,
  type TicketRow,
  type TicketUpdate,
} from './ticket-store.js';
import type { TicketState } from './ticket-state.js';
import { columnLabelChanges, LABEL_COLOURS } from './ticket-state.js';
import type { WorkflowDeps } from '../workflow-deps.js';

/** The labels Tandem uses, with colours, for `forge.ensureLabels`. */
export const TANDEM_LABELS = Object.entries(LABEL_COLOURS).map(([name, color]) => ({
  name,
  color,
}));

/** Makes the issue's column label match `state` (other labels untouched). */
export async function syncColumnLabel(
  forge: Forge,
  repo: RepoRef,
  issueNumber: number,
  state: TicketState,
): Promise<void> {
  const issue = await forge.getIssue(repo, issueNumber);
  const { add, remove } = columnLabelChanges(issue.labels, state);
  if (add.length > 0) {
    await forge.addLabels(repo, issueNumber, add);
  }
  for (const name of remove) {
    await forge.removeLabel(repo, issueNumber, name);
  }
}

/** Transitions a ticket (validated) and mirrors the column label on its issue. */
export async function moveTicketOnForge(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  ticket: TicketRow,
  to: TicketState,
  set: TicketUpdate = {},
  data: Record<string, unknown> = {},
): Promise<TicketRow> {
  const row = await transitionTicket(deps.db, ticket, to, set, data);
  if (row.issueNumber !== null) {
    await syncColumnLabel(deps.forgeFor(forgeKind(repo)), repoRefOf(repo), row.issueNumber, to);
  }
  return row;
}

/** The forge kind of a repository row. */
export function forgeKind(repo: RepositoryRow): 'github' | 'gitea' {
  return repo.forge === 'gitea' ? 'gitea' : 'github';
}

/** The engine run key of a ticket's pair job (stable: a retried or restarted job resumes). */
export function pairRunKey(ticketId: number): string {
  return `t${ticketId}`;
}

/**
 * Starts what may start in a repository: backlog tickets of in-progress requests whose dependencies
 * are done move to `todo`; then `todo` tickets move to `in_progress` and get a `ticket` job, up to
 * `maxActiveTickets` running at once. Nothing starts while the repository is paused or at a quota
 * (`withinQuota` says so once on the dashboard issue); a ticket whose request used up its budget
 * (`budgets.requestTokens` / `requestCostUsd`) is blocked instead of started.
 * @returns ids of the tickets whose jobs were enqueued
 */
export async function scheduleTickets(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
): Promise<number[]> {
  const active = await deps.db
    .select()
    .from(requests)
    .where(and(eq(requests.repositoryId, repo.id), eq(requests.state, 'in_progress')));
  for (const request of active) {
    for (const ticket of await unblockedBacklog(deps.db, request.id)) {
      await moveTicketOnForge(deps, repo, ticket, 'todo');
    }
  }
  if (repo.paused || !(await withinQuota(deps, repo, policy))) {
    return [];
  }
  const activeRequestIds = new Set(active.map((r) => r.id));
  const spent = new Map<number, boolean>();
  let slots = policy.maxActiveTickets - (await activeTicketCount(deps.db, repo.id));
  const started: number[] = [];
  for (const ticket of await todoTickets(deps.db, repo.id)) {
    if (slots <= 0) {
      break;
    }
    if (ticket.requestId !== null && !activeRequestIds.has(ticket.requestId)) {
      continue;
    }
    if (ticket.requestId !== null) {
      const exhausted =
        spent.get(ticket.requestId) ??
        requestBudgetExhausted(await requestUsage(deps, ticket.requestId), policy);
      spent.set(ticket.requestId, exhausted);
      if (exhausted) {
        await blockForRequestBudget(deps, repo, ticket);
        continue;
      }
    }
    await startTicketJob(deps, repo, policy, ticket, { runKey: pairRunKey(ticket.id) });
    started.push(ticket.id);
    slots -= 1;
  }
  return started;
}

/** Blocks a `todo` ticket whose request's budget is used up, with one comment naming the budget. */
async function blockForRequestBudget(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  ticket: TicketRow,
): Promise<void> {
  const reason = 'request budget used up (budgets.requestTokens or budgets.requestCostUsd)';
  await moveTicketOnForge(deps, repo, ticket, 'blocked', { blockedReason: reason });
  if (ticket.issueNumber !== null) {
    await deps
      .forgeFor(forgeKind(repo))
      .ensureComment(
        repoRefOf(repo),
        ticket.issueNumber,
        `request-budget-${ticket.id}`,
        'Not started: the request used up its budget (`budgets.requestTokens` or `budgets.requestCostUsd` in ' +
          "the repository's Tandem policy). Raise it, then `/retry`.",
      );
  }
}

/** What a pair job of an activation works on: a fresh `ticket` run, or a `revise` run with feedback. */
export interface TicketWork {
  runKey: string;
  /** Review feedback (a `revise` job); absent for a `ticket` job. */
  feedback?: string[];
  /** The review that asked for it (a redelivered review is recognised by it). */
  reviewId?: number | null;
}

/**
 * Moves a ticket to `in_progress` and adds its pair job. The job id is derived from the database: the
 * ticket's activation number (how many times it has entered `in_progress`), so adding it twice is one job,
 * and what the job does is recorded on the transition event. A crash between the two writes leaves an
 * `in_progress` ticket without a job, which {@link ensureTicketJob} (the reconciler) finds and repairs
 * from that event: the pair of writes is recoverable without a distributed transaction.
 * @throws InvalidTransitionError / StaleStateError from the transition
 */
export async function startTicketJob(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
  ticket: TicketRow,
  work: TicketWork,
): Promise<TicketRow> {
  const moved = await moveTicketOnForge(
    deps,
    repo,
    ticket,
    'in_progress',
    {},
    {
      runKey: work.runKey,
      ...(work.feedback ? { review: true, feedback: work.feedback } : {}),
      ...(work.reviewId !== undefined ? { reviewId: work.reviewId } : {}),
    },
  );
  await ensureTicketJob(deps, moved, policy.priority);
  return moved;
}

/** The current activation of an `in_progress` ticket: its number, what it works on, its job. */
export interface TicketActivation {
  /** 1 for the first time the ticket entered `in_progress`, 2 for the second, … */
  number: number;
  /** Recorded before activations carried their run key (no job id can be derived for it). */
  legacy: boolean;
  work: TicketWork;
  job: { name: 'ticket' | 'revise'; id: string };
}

const ActivationData = z.object({
  to: z.literal('in_progress'),
  runKey: z.string().optional(),
  feedback: z.array(z.string()).min(1).optional(),
  reviewId: z.number().nullable().optional(),
});

/**
 * The ticket's latest activation, read from its `ticket.transition` events into `in_progress`; null when
 * it never entered `in_progress`.
 */
export async function currentActivation(
  deps: Pick<WorkflowDeps, 'db'>,
  ticketId: number,
): Promise<TicketActivation | null> {
  const rows = await deps.db
    .select({ data: events.data })
    .from(events)
    .where(
      and(
        eq(events.ticketId, ticketId),
        eq(events.kind, 'ticket.transition'),
        sql`${events.data}->>'to' = 'in_progress'`,
      ),
    )
    .orderBy(asc(events.id));
  const last = rows.at(-1);
  if (!last) {
    return null;
  }
  const data = ActivationData.safeParse(last.data);
  const feedback = data.success ? data.data.feedback : undefined;
  const work: TicketWork = {
    runKey: (data.success ? data.data.runKey : undefined) ?? pairRunKey(ticketId),
    ...(feedback ? { feedback } : {}),
    ...(data.success && data.data.reviewId !== undefined ? { reviewId: data.data.reviewId } : {}),
  };
  const name = feedback ? 'revise' : 'ticket';
  return {
    number: rows.length,
    legacy: !data.success || data.data.runKey === undefined,
    work,
    job: { name, id: `${name}-${ticketId}-${rows.length}` },
  };
}

/**
 * Adds the pair job of the ticket's current activation (a no-op when it exists: same job id).
 * @returns the activation, or null when the ticket has none
 */
export async function ensureTicketJob(
  deps: WorkflowDeps,
  ticket: TicketRow,
  priority?: number,
): Promise<TicketActivation | null> {
  const activation = await currentActivation(deps, ticket.id);
  if (activation === null) {
    return null;
  }
  const { work, job } = activation;
  const options = { jobId: job.id, ...(priority ? { priority } : {}) };
  if (work.feedback) {
    await deps.enqueue.enqueue(
      'revise',
      { ticketId: ticket.id, runKey: work.runKey, feedback: work.feedback },
      options,
    );
  } else {
    await deps.enqueue.enqueue('ticket', { ticketId: ticket.id, runKey: work.runKey }, options);
  }
  await recordEvent(deps.db, {
    kind: 'ticket.enqueued',
    repositoryId: ticket.repositoryId,
    requestId: ticket.requestId,
    ticketId: ticket.id,
    jobId: job.id,
    data: { runKey: work.runKey, activation: activation.number },
  });
  return activation;
}
