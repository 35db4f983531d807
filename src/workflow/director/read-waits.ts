/**
 * Reads what {@link waitNotes} explains from, for `/status`: the repository's tickets, whether it is
 * paused or at a quota (checked now), which pairs run (their job is active) and each queued pair job's
 * place in the pair queue (read from BullMQ, in the order it serves jobs).
 */
import type { RepoPolicy } from '../../config/repo-policy.js';
import { quotaReached } from './repository-quota.js';
import type { RepositoryRow } from '../repository-store.js';
import { currentActivation } from '../tickets/ticket-flow.js';
import { ticketsOfRepository, type TicketRow } from '../tickets/ticket-store.js';
import { preemptedTickets, waitNotes, type WaitNotes } from './wait-reasons.js';
import type { WorkflowDeps } from '../workflow-deps.js';

/** The repository's tickets and why those that wait are waiting. */
export async function readWaits(
  deps: WorkflowDeps,
  repo: RepositoryRow,
  policy: RepoPolicy,
): Promise<{ tickets: TicketRow[]; waits: WaitNotes }> {
  const tickets = await ticketsOfRepository(deps.db, repo.id);
  const busy = tickets.filter((t) => t.state === 'in_progress').map((t) => t.id);
  const waiting = await deps.enqueue.waitingJobs('ticket');
  const pairQueue = new Map<number, { position: number; of: number }>();
  const running = new Set<number>();
  for (const id of busy) {
    const activation = await currentActivation(deps, id);
    if (activation === null) {
      continue;
    }
    const at = waiting.findIndex((j) => j.id === activation.job.id);
    if (at >= 0) {
      pairQueue.set(id, { position: at + 1, of: waiting.length });
    } else if (
      (await deps.enqueue.jobStatus(activation.job.name, activation.job.id)).state === 'active'
    ) {
      running.add(id);
    }
  }
  const stop = await quotaReached(deps, repo.id, policy);
  const waits = waitNotes({
    tickets,
    paused: repo.paused,
    quota: stop ? { key: stop.key, resumesAt: stop.resumesAt } : null,
    running,
    maxActiveTickets: policy.maxActiveTickets,
    pairQueue,
    preempted: await preemptedTickets(deps.db, busy),
  });
  return { tickets, waits };
}
