/**
 * Why work waits, for `/status` and the dashboard issue: the repository paused (`/pause`) or at a quota,
 * a ticket's place in the repository's to-do queue and why it has not started, an `in_progress` ticket
 * queued for a pair slot (its place in the pair queue when the caller could read it), a backlog ticket
 * waiting for its dependencies. Plain text; callers escape it into Markdown.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Database } from '../../db/create-database.js';
import { events } from '../../db/schema.js';
import type { QuotaKey } from '../../config/repo-policy.js';
import type { TicketRow } from '../tickets/ticket-store.js';

/** A quota the repository is paused at, as the `repository.quota_reached` event recorded it. */
export interface QuotaPause {
  key: QuotaKey;
  resumesAt: Date;
}

/** What {@link waitNotes} explains from. */
export interface WaitInput {
  tickets: readonly Pick<TicketRow, 'id' | 'state' | 'dependsOn'>[];
  paused: boolean;
  quota: QuotaPause | null;
  /** Tickets whose pair is running now (a `running` run row, or an active job). */
  running: ReadonlySet<number>;
  /** The repository's `maxActiveTickets`, when known. */
  maxActiveTickets?: number;
  /** Place of an `in_progress` ticket's job among the pair jobs waiting for a slot (1-based), of how many. */
  pairQueue?: ReadonlyMap<number, { position: number; of: number }>;
  /** Tickets the Resource Director paused for higher-priority work (queued again). */
  preempted?: ReadonlySet<number>;
}

/** Why work waits: one line for the repository (or null) and one note per waiting ticket. */
export interface WaitNotes {
  repository: string | null;
  tickets: Map<number, string>;
}

const utc = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Explains what waits and why (see the module comment). Pure. */
export function waitNotes(input: WaitInput): WaitNotes {
  let repository: string | null = null;
  if (input.paused) {
    repository = 'Paused by `/pause`: nothing new starts until `/resume`.';
  } else if (input.quota) {
    repository = `Paused at \`quotas.${input.quota.key}\` until ${utc(input.quota.resumesAt)}: nothing new starts; work resumes then.`;
  }
  const slotsFull =
    input.maxActiveTickets !== undefined &&
    input.tickets.filter((t) => t.state === 'in_progress').length >= input.maxActiveTickets;
  const notes = new Map<number, string>();
  const done = new Set(input.tickets.filter((t) => t.state === 'done').map((t) => t.id));
  const inProgress = input.tickets.filter((t) => t.state === 'in_progress').length;
  const todo = input.tickets.filter((t) => t.state === 'todo');
  todo.forEach((t, i) => {
    const place = `to-do queue ${i + 1} of ${todo.length}`;
    let why = 'waits for the scheduler';
    if (repository !== null) {
      why = 'the repository is paused';
    } else if (slotsFull) {
      why = `waits for a ticket slot (${inProgress} of maxActiveTickets ${input.maxActiveTickets} running)`;
    }
    notes.set(t.id, `${place}: ${why}`);
  });
  for (const t of input.tickets) {
    if (t.state === 'in_progress' && !input.running.has(t.id)) {
      const at = input.pairQueue?.get(t.id);
      const preempted = input.preempted?.has(t.id) ? ', paused for higher-priority work' : '';
      notes.set(
        t.id,
        at
          ? `pair queue ${at.position} of ${at.of}: waits for a pair slot${preempted}`
          : `waits for a pair slot${preempted}`,
      );
    }
    if (t.state === 'backlog') {
      const open = t.dependsOn.filter((d) => !done.has(d)).length;
      notes.set(t.id, `waits for ${open} dependenc${open === 1 ? 'y' : 'ies'}`);
    }
  }
  return { repository, tickets: notes };
}

/** The quota the repository is paused at now (its latest `repository.quota_reached` event), or null. */
export async function currentQuotaPause(
  db: Database,
  repositoryId: number,
  now: Date = new Date(),
): Promise<QuotaPause | null> {
  const [row] = await db
    .select({ data: events.data })
    .from(events)
    .where(and(eq(events.repositoryId, repositoryId), eq(events.kind, 'repository.quota_reached')))
    .orderBy(desc(events.id))
    .limit(1);
  const data = row?.data as { key?: QuotaKey; resumesAt?: string } | undefined;
  if (data?.key === undefined || data.resumesAt === undefined) {
    return null;
  }
  const resumesAt = new Date(data.resumesAt);
  return resumesAt > now ? { key: data.key, resumesAt } : null;
}

/**
 * Of `ticketIds`, those queued again after a pause for higher-priority work: the transition before their
 * latest one moved them to `todo` with `paused: preempted` (the latest put them back in `in_progress`).
 */
export async function preemptedTickets(
  db: Database,
  ticketIds: readonly number[],
): Promise<Set<number>> {
  const out = new Set<number>();
  for (const id of ticketIds) {
    const [last, before] = await db
      .select({ data: events.data })
      .from(events)
      .where(and(eq(events.ticketId, id), eq(events.kind, 'ticket.transition')))
      .orderBy(desc(events.id))
      .limit(2);
    const previous = before?.data as { to?: string; paused?: string } | undefined;
    const latest = last?.data as { to?: string } | undefined;
    if (latest?.to === 'in_progress' && previous?.paused === 'preempted') {
      out.add(id);
    }
  }
  return out;
}
