/**
 * Persistence of requests with validated transitions: every state change goes through
 * `moveRequest` (an invalid one throws `InvalidTransitionError`), is applied only if the row still has
 * the state the caller read (optimistic concurrency), and is logged as a `request.transition` event.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/create-database.js';
import { requests } from '../../db/schema.js';
import { StaleStateError } from '../../errors/stale-state-error.js';
import { recordEvent } from '../event-log.js';
import { moveRequest, RequestState } from './request-state.js';

export type RequestRow = typeof requests.$inferSelect;

/** Finds the request of issue `issueNumber`, or null. */
export async function findRequestByIssue(
  db: Database,
  repositoryId: number,
  issueNumber: number,
): Promise<RequestRow | null> {
  const [row] = await db
    .select()
    .from(requests)
    .where(and(eq(requests.repositoryId, repositoryId), eq(requests.issueNumber, issueNumber)));
  return row ?? null;
}

/** Finds the request whose spec PR is `prNumber`, or null. */
export async function findRequestBySpecPr(
  db: Database,
  repositoryId: number,
  prNumber: number,
): Promise<RequestRow | null> {
  const [row] = await db
    .select()
    .from(requests)
    .where(and(eq(requests.repositoryId, repositoryId), eq(requests.specPrNumber, prNumber)));
  return row ?? null;
}

/** The request by id. @throws Error when missing. */
export async function getRequest(db: Database, id: number): Promise<RequestRow> {
  const [row] = await db.select().from(requests).where(eq(requests.id, id));
  if (!row) {
    throw new Error(`request ${id} not found`);
  }
  return row;
}

/**
 * Creates the request of an issue (state `new`), or returns the existing one: two deliveries for the
 * same issue (opened + labelled) make one request. `created` tells which.
 */
export async function createRequest(
  db: Database,
  repositoryId: number,
  issueNumber: number,
  title: string,
): Promise<{ request: RequestRow; created: boolean }> {
  const [row] = await db
    .insert(requests)
    .values({ repositoryId, issueNumber, title })
    .onConflictDoNothing()
    .returning();
  if (row) {
    await recordEvent(db, { kind: 'request.created', repositoryId, requestId: row.id });
    return { request: row, created: true };
  }
  const existing = await findRequestByIssue(db, repositoryId, issueNumber);
  if (!existing) {
    throw new Error('unreachable: conflict without a row');
  }
  return { request: existing, created: false };
}

/** Columns a transition may set along with the state. */
export type RequestUpdate = Partial<
  Pick<
    RequestRow,
    'specPrNumber' | 'specPath' | 'approvedSpecSha' | 'approvedBy' | 'title' | 'blockedReason'
  >
>;

/**
 * Moves `request` to `to` (validated), setting `set` too; returns the updated row.
 * @throws InvalidTransitionError when `request.state → to` is not allowed
 * @throws StaleStateError when the row's state changed since it was read
 */
export async function transitionRequest(
  db: Database,
  request: RequestRow,
  to: RequestState,
  set: RequestUpdate = {},
  data: Record<string, unknown> = {},
): Promise<RequestRow> {
  const from = RequestState.parse(request.state);
  moveRequest(from, to);
  const [row] = await db
    .update(requests)
    // Leaving `blocked` clears its reason.
    .set({
      ...(from === 'blocked' ? { blockedReason: null } : {}),
      ...set,
      state: to,
      updatedAt: sql`now()`,
    })
    .where(and(eq(requests.id, request.id), eq(requests.state, from)))
    .returning();
  if (!row) {
    throw new StaleStateError('request', request.id, from);
  }
  await recordEvent(db, {
    kind: 'request.transition',
    repositoryId: request.repositoryId,
    requestId: request.id,
    data: { from, to, ...data },
  });
  return row;
}

/** Updates columns of a request without a state change. */
export async function updateRequest(
  db: Database,
  id: number,
  set: RequestUpdate,
): Promise<RequestRow> {
  const [row] = await db
    .update(requests)
    .set({ ...set, updatedAt: sql`now()` })
    .where(eq(requests.id, id))
    .returning();
  if (!row) {
    throw new Error(`request ${id} not found`);
  }
  return row;
}
