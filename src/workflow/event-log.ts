/** Appends to the `events` log (DESIGN.md "Memory and context"): every transition, comment and job step. */
import type { Database } from '../db/create-database.js';
import { events } from '../db/schema.js';

/** One event row; ids are database ids, `kind` is dotted (`request.transition`, `comment.posted`). */
export interface EventEntry {
  kind: string;
  repositoryId?: number | null;
  requestId?: number | null;
  ticketId?: number | null;
  runId?: number | null;
  jobId?: string | null;
  /** JSON-serialisable details; never a secret. */
  data?: Record<string, unknown>;
}

/** Appends one event. */
export async function recordEvent(db: Database, entry: EventEntry): Promise<void> {
  await db.insert(events).values({
    kind: entry.kind,
    repositoryId: entry.repositoryId ?? null,
    requestId: entry.requestId ?? null,
    ticketId: entry.ticketId ?? null,
    runId: entry.runId ?? null,
    jobId: entry.jobId ?? null,
    data: entry.data ?? {},
  });
}
