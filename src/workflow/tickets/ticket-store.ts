/**
 * Persistence of tickets with validated transitions (`moveTicket`, optimistic on the read state,
 * logged as `ticket.transition`), and the dependency queries that decide which tickets may start.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { RunRecord } from '../../agents/checkpoint.js';
import type { Database } from '../../db/create-database.js';
import { runs, tickets } from '../../db/schema.js';
import { StaleStateError } from '../../errors/stale-state-error.js';
import { recordEvent } from '../event-log.js';
import { moveTicket, TicketState } from './ticket-state.js';

export type TicketRow = typeof tickets.$inferSelect;
export type NewTicketRow = typeof tickets.$inferInsert;

/** Inserts a ticket (state `backlog`) and logs it. */
export async function createTicket(db: Database, values: NewTicketRow): Promise<TicketRow> {
  const [row] = await db
    .insert(tickets)
    .values({ ...values, state: 'backlog' })
    .returning();
  if (!row) {
    throw new Error('unreachable: insert returned no row');
  }
  await recordEvent(db, {
    kind: 'ticket.created',
    repositoryId: row.repositoryId,
    requestId: row.requestId,
    ticketId: row.id,
    data: { issueNumber: row.issueNumber, title: row.title },
  });
  return row;
}

/** The ticket by id. @throws Error when missing. */
export async function getTicket(db: Database, id: number): Promise<TicketRow> {
  const [row] = await db.select().from(tickets).where(eq(tickets.id, id));
  if (!row) {
    throw new Error(`ticket ${id} not found`);
  }
  return row;
}

/** The ticket whose issue is `issueNumber` in the repository, or null. */
export async function findTicketByIssue(
  db: Database,
  repositoryId: number,
  issueNumber: number,
): Promise<TicketRow | null> {
  const [row] = await db
    .select()
    .from(tickets)
    .where(and(eq(tickets.repositoryId, repositoryId), eq(tickets.issueNumber, issueNumber)));
  return row ?? null;
}

/** The ticket whose pull request is `prNumber`, or null. */
export async function findTicketByPr(
  db: Database,
  repositoryId: number,
  prNumber: number,
): Promise<TicketRow | null> {
  const [row] = await db
    .select()
    .from(tickets)
    .where(and(eq(tickets.repositoryId, repositoryId), eq(tickets.prNumber, prNumber)));
  return row ?? null;
}

/** Tickets of a request, in creation (= dependency) order. */
export async function ticketsOfRequest(db: Database, requestId: number): Promise<TicketRow[]> {
  return db.select().from(tickets).where(eq(tickets.requestId, requestId)).orderBy(asc(tickets.id));
}

/** Tickets of a repository, in creation order. */
export async function ticketsOfRepository(
  db: Database,
  repositoryId: number,
): Promise<TicketRow[]> {
  return db
    .select()
    .from(tickets)
    .where(eq(tickets.repositoryId, repositoryId))
    .orderBy(asc(tickets.id));
}

/** Columns a transition may set along with the state. */
export type TicketUpdate = Partial<
  Pick<TicketRow, 'branch' | 'prNumber' | 'blockedReason' | 'escalation' | 'issueNumber'>
>;

/**
 * Moves `ticket` to `to` (validated), setting `set` too; returns the updated row.
 * @throws InvalidTransitionError when not allowed; StaleStateError when the row moved meanwhile
 */
export async function transitionTicket(
  db: Database,
  ticket: TicketRow,
  to: TicketState,
  set: TicketUpdate = {},
  data: Record<string, unknown> = {},
): Promise<TicketRow> {
  const from = TicketState.parse(ticket.state);
  moveTicket(from, to);
  const [row] = await db
    .update(tickets)
    .set({ ...set, state: to, updatedAt: sql`now()` })
    .where(and(eq(tickets.id, ticket.id), eq(tickets.state, from)))
    .returning();
  if (!row) {
    throw new StaleStateError('ticket', ticket.id, from);
  }
  await recordEvent(db, {
    kind: 'ticket.transition',
    repositoryId: ticket.repositoryId,
    requestId: ticket.requestId,
    ticketId: ticket.id,
    data: { from, to, ...data },
  });
  return row;
}

/** Updates columns of a ticket without a state change. */
export async function updateTicket(
  db: Database,
  id: number,
  set: TicketUpdate,
): Promise<TicketRow> {
  const [row] = await db
    .update(tickets)
    .set({ ...set, updatedAt: sql`now()` })
    .where(eq(tickets.id, id))
    .returning();
  if (!row) {
    throw new Error(`ticket ${id} not found`);
  }
  return row;
}

/** Tickets of the repository a pair is working on now (`in_progress`). */
export async function activeTicketCount(db: Database, repositoryId: number): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(tickets)
    .where(and(eq(tickets.repositoryId, repositoryId), eq(tickets.state, 'in_progress')));
  return rows[0]?.n ?? 0;
}

/** Backlog tickets of a request whose dependencies are all done, in creation order. */
export async function unblockedBacklog(db: Database, requestId: number): Promise<TicketRow[]> {
  const all = await ticketsOfRequest(db, requestId);
  const done = new Set(all.filter((t) => t.state === 'done').map((t) => t.id));
  return all.filter((t) => t.state === 'backlog' && t.dependsOn.every((d) => done.has(d)));
}

/** Todo tickets of a repository (ready, waiting for a slot), oldest first. */
export async function todoTickets(db: Database, repositoryId: number): Promise<TicketRow[]> {
  return db
    .select()
    .from(tickets)
    .where(and(eq(tickets.repositoryId, repositoryId), inArray(tickets.state, ['todo'])))
    .orderBy(asc(tickets.id));
}

/**
 * Ends a local ticket (`tandem run`, no forge) after its run, through the validated transitions:
 * `in_progress` → `review` when the run is done, → `blocked` (with the diagnosis) when it blocked. The
 * ticket is found by the run's job id; a ticket already moved (a resumed run that had finished) is left.
 * @throws Error when no run has this job id
 */
export async function finishLocalTicket(
  db: Database,
  jobId: string,
  record: Pick<RunRecord, 'status' | 'branch' | 'diagnosis'>,
): Promise<TicketRow> {
  const [run] = await db
    .select({ ticketId: runs.ticketId })
    .from(runs)
    .where(eq(runs.jobId, jobId));
  if (!run) {
    throw new Error(`no run with job id ${jobId}`);
  }
  const ticket = await getTicket(db, run.ticketId);
  const to = record.status === 'done' ? 'review' : 'blocked';
  if (ticket.state !== 'in_progress') {
    return ticket;
  }
  return transitionTicket(db, ticket, to, {
    branch: record.branch,
    blockedReason: record.status === 'blocked' ? (record.diagnosis?.whatFailed ?? 'blocked') : null,
  });
}
