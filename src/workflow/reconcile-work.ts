/**
 * The reconciler: finds work that looks busy but has no job behind it, and repairs it. Every state
 * change and the job that carries it on are two writes (the database, then the queue); a worker that dies
 * between them, a job BullMQ gave up on after it stalled, or a job that finished without moving its ticket
 * would otherwise leave the work stuck for good. Run by every worker at start and then periodically; all
 * of its repairs are idempotent (deterministic job ids, deduplication keys, optimistic transitions), so
 * several workers may run it at once.
 *
 * | found | repair |
 * | --- | --- |
 * | ticket `in_progress`, its activation's job never added | add it (same job id) |
 * | ticket `in_progress`, its job failed for good | ticket → `blocked` with the job's reason |
 * | ticket `in_progress`, its job finished without moving it | ticket → `blocked` ("the job ended …") |
 * | request `new`, no `spec` job waiting | add the `spec` job |
 * | request `approved` / `planning`, no `plan` job waiting | add the `plan` job |
 * | tickets `todo` and none `in_progress` in a repository | run the scheduler there (it waits out a quota) |
 * | request waiting for a job in a repository at a quota | nothing until the next quota period |
 *
 * Rows changed in the last `graceMs` are left alone: the router may be between its two writes.
 */
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import { rowsOf } from '../db/rows-of.js';
import { requests, tickets } from '../db/schema.js';
import { blockTicketAfterFailure } from './job-failure.js';
import { policyForJob } from './policy-guard.js';
import { withinQuota } from './director/repository-quota.js';
import { getRepository } from './repository-store.js';
import { currentActivation, ensureTicketJob, scheduleTickets } from './tickets/ticket-flow.js';
import { getTicket } from './tickets/ticket-store.js';
import { LIVE_JOB_STATES } from './work-jobs.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** What one pass repaired (ids), for logs and tests. */
export interface ReconcileReport {
  ticketJobsAdded: number[];
  ticketsBlocked: number[];
  requestJobsAdded: number[];
  repositoriesScheduled: number[];
}

/** Options of {@link reconcileWork}. */
export interface ReconcileOptions {
  /** Rows changed more recently than this many ms are skipped (default 30 000). */
  graceMs?: number;
}

/** One pass over the database. @throws database or queue errors (the caller logs and tries later) */
export async function reconcileWork(
  deps: WorkflowDeps,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const graceMs = options.graceMs ?? 30_000;
  const settled = sql`now() - make_interval(secs => ${graceMs / 1000})`;
  const report: ReconcileReport = {
    ticketJobsAdded: [],
    ticketsBlocked: [],
    requestJobsAdded: [],
    repositoriesScheduled: [],
  };
  const busy = await deps.db
    .select()
    .from(tickets)
    .where(and(eq(tickets.state, 'in_progress'), lt(tickets.updatedAt, settled)));
  for (const ticket of busy) {
    if (ticket.repositoryId !== null) {
      await reconcileTicket(deps, ticket.id, report);
    }
  }
  const waiting = await deps.db
    .select()
    .from(requests)
    .where(
      and(
        inArray(requests.state, ['new', 'approved', 'planning']),
        lt(requests.updatedAt, settled),
      ),
    );
  for (const request of waiting) {
    const repo = await getRepository(deps.db, request.repositoryId);
    const job = request.state === 'new' ? 'spec' : 'plan';
    if (repo.paused || (await deps.enqueue.hasDedupedJob(job, `${job}-${request.id}`))) {
      continue;
    }
    // At a quota the job would end at once; it is added when the next period starts.
    const policy = await policyForJob(deps, repo);
    if (policy === null || !(await withinQuota(deps, repo, policy))) {
      continue;
    }
    await deps.enqueue.enqueue(
      job,
      { requestId: request.id },
      { dedupe: { id: `${job}-${request.id}` } },
    );
    report.requestJobsAdded.push(request.id);
  }
  const idle = await deps.db.execute<{ repository_id: number }>(sql`
    select repository_id from ${tickets}
    where repository_id is not null
    group by repository_id
    having bool_or(state = 'todo') and not bool_or(state = 'in_progress')`);
  for (const { repository_id: id } of rowsOf<{ repository_id: number }>(idle)) {
    const repo = await getRepository(deps.db, Number(id));
    const policy = repo.paused ? null : await policyForJob(deps, repo);
    if (policy && (await scheduleTickets(deps, repo, policy)).length > 0) {
      report.repositoriesScheduled.push(repo.id);
    }
  }
  return report;
}

async function reconcileTicket(
  deps: WorkflowDeps,
  ticketId: number,
  report: ReconcileReport,
): Promise<void> {
  const activation = await currentActivation(deps, ticketId);
  // Activations recorded before job ids were derived from them carry no run key: leave those alone.
  if (activation === null || activation.legacy) {
    return;
  }
  const status = await deps.enqueue.jobStatus(activation.job.name, activation.job.id);
  if (LIVE_JOB_STATES.has(status.state)) {
    return;
  }
  // Read again: the job may have moved the ticket on between the two reads above.
  const ticket = await getTicket(deps.db, ticketId);
  const now = await currentActivation(deps, ticketId);
  if (ticket.state !== 'in_progress' || now?.number !== activation.number) {
    return;
  }
  if (status.state === 'missing') {
    await ensureTicketJob(deps, ticket);
    report.ticketJobsAdded.push(ticket.id);
    return;
  }
  const reason =
    status.state === 'failed'
      ? (status.failedReason ?? 'the job failed')
      : 'the job ended without finishing the ticket';
  if (await blockTicketAfterFailure(deps, ticket.id, reason)) {
    report.ticketsBlocked.push(ticket.id);
  }
}
