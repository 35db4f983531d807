/**
 * Ticket moves that touch both the database and the forge: a transition mirrored as the `tandem:*`
 * column label on the ticket issue, and the scheduler that starts ready tickets within the
 * repository's `maxActiveTickets` (DESIGN.md: dependencies done → todo → a pair job).
 *
 * Dependencies are gated here, on the database, rather than with BullMQ flows: a ticket is done when a
 * person merges its PR, an event outside any job, while a flow's parent would start when the child
 * pair job completes (PR opened). docs/deployment.md ("Design choices") records this.
 */
import type { RepoPolicy } from '../config/repo-policy.js';
import type { Forge, RepoRef } from '../forge/types.js';
import { eq, and } from 'drizzle-orm';
import { requests } from '../db/schema.js';
import { recordEvent } from './event-log.js';
import { repoRefOf, type RepositoryRow } from './repository-store.js';
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
import type { WorkflowDeps } from './workflow-deps.js';

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
 * `maxActiveTickets` running at once. Nothing starts while the repository is paused.
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
  if (repo.paused) {
    return [];
  }
  const activeRequestIds = new Set(active.map((r) => r.id));
  let slots = policy.maxActiveTickets - (await activeTicketCount(deps.db, repo.id));
  const started: number[] = [];
  for (const ticket of await todoTickets(deps.db, repo.id)) {
    if (slots <= 0) {
      break;
    }
    if (ticket.requestId !== null && !activeRequestIds.has(ticket.requestId)) {
      continue;
    }
    await moveTicketOnForge(deps, repo, ticket, 'in_progress');
    const runKey = pairRunKey(ticket.id);
    await deps.enqueue.enqueue(
      'ticket',
      { ticketId: ticket.id, runKey },
      { jobId: `ticket-${ticket.id}-${Date.now().toString(36)}`, priority: policy.priority },
    );
    await recordEvent(deps.db, {
      kind: 'ticket.enqueued',
      repositoryId: repo.id,
      requestId: ticket.requestId,
      ticketId: ticket.id,
      data: { runKey },
    });
    started.push(ticket.id);
    slots -= 1;
  }
  return started;
}
