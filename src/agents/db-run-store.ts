/**
 * {@link RunStore} on Tandem's database: the run row in `runs` (phase, cycle, last_commit, checkpoint),
 * the ticket in `tickets` (created for a local `tandem run`), events appended to `events`.
 */
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/create-database.js';
import { events, runs, tickets } from '../db/schema.js';
import { Checkpoint } from './checkpoint.js';
import type { RunStore, StoredRun } from './run-store.js';

/** A RunStore over `db`. `ticketId` links the run to an existing ticket row instead of creating one. */
export function createDbRunStore(db: Database, options: { ticketId?: number } = {}): RunStore {
  // ticket id and job id of each run, for event rows (a run's ticket and job never change).
  const keys = new Map<number, { ticketId: number | null; jobId: string | null }>();
  const keysOf = async (runId: number) => {
    let found = keys.get(runId);
    if (!found) {
      const [run] = await db
        .select({ ticketId: runs.ticketId, jobId: runs.jobId })
        .from(runs)
        .where(eq(runs.id, runId));
      found = { ticketId: run?.ticketId ?? null, jobId: run?.jobId ?? null };
      if (run) {
        keys.set(runId, found);
      }
    }
    return found;
  };
  return {
    async openRun({ jobId, ticket }): Promise<StoredRun> {
      const [existing] = await db.select().from(runs).where(eq(runs.jobId, jobId));
      if (existing) {
        const parsed = Checkpoint.safeParse(existing.checkpoint);
        return {
          runId: existing.id,
          ticketId: existing.ticketId,
          status: existing.status as StoredRun['status'],
          checkpoint: parsed.success ? parsed.data : null,
        };
      }
      let ticketId = options.ticketId;
      if (ticketId === undefined) {
        const [row] = await db
          .insert(tickets)
          .values({
            title: ticket.title,
            description: ticket.description,
            acceptanceCriteria: ticket.acceptanceCriteria,
            state: 'in_progress',
          })
          .returning({ id: tickets.id });
        ticketId = row!.id;
      }
      const [run] = await db.insert(runs).values({ ticketId, jobId }).returning({ id: runs.id });
      return { runId: run!.id, ticketId, status: 'running', checkpoint: null };
    },
    async saveCheckpoint(runId, checkpoint) {
      await db
        .update(runs)
        .set({
          phase: checkpoint.phase,
          cycle: checkpoint.cycle,
          lastCommit: checkpoint.lastCommit,
          checkpoint,
          updatedAt: sql`now()`,
        })
        .where(eq(runs.id, runId));
    },
    async appendEvent(runId, kind, data) {
      await db.insert(events).values({ runId, kind, data, ...(await keysOf(runId)) });
    },
    async finishRun(runId, outcome) {
      // The run only: the ticket's state belongs to the caller, which moves it through the validated
      // transitions (the workflow mirrors it on the forge; `tandem run` ends its local ticket).
      const [run] = await db
        .update(runs)
        .set({
          status: outcome.status,
          diagnosis: outcome.diagnosis ?? null,
          finishedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(eq(runs.id, runId))
        .returning({ ticketId: runs.ticketId, jobId: runs.jobId });
      if (run) {
        await db.insert(events).values({
          runId,
          ticketId: run.ticketId,
          jobId: run.jobId,
          kind: 'run.record',
          data: outcome.record,
        });
      }
    },
  };
}
