/**
 * What the status page shows, read from the database in a few bounded statements: open requests and
 * tickets (and those finished in the last day), running pairs with their latest `pair.progress` row,
 * recent workflow events, and model use over the last calls. Every list has a row limit and every
 * statement uses an index (the `events_ticket` index for progress, primary keys for recent events and
 * calls), so polling it every second while someone watches stays cheap on a large database.
 *
 * Only Tandem's own fields are read: states, numbers, titles of issues, reasons Tandem wrote, counts.
 * Event payloads are never shown whole (they can hold test output or model text): only the kind and, for
 * transitions, the two state names.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/create-database.js';
import { rowsOf } from '../db/rows-of.js';
import type { PairProgressReport } from './pair-progress-recorder.js';

/** The repository a row belongs to. */
export interface StatusRepo {
  forge: string;
  owner: string;
  name: string;
}

export interface StatusRequest {
  repo: StatusRepo;
  issueNumber: number;
  title: string;
  state: string;
  specPrNumber: number | null;
  blockedReason: string | null;
  /** ISO time. */
  updatedAt: string;
}

export interface StatusTicket {
  repo: StatusRepo;
  issueNumber: number | null;
  title: string;
  state: string;
  prNumber: number | null;
  blockedReason: string | null;
  updatedAt: string;
}

/** A running pair (or revise) run and its latest progress, when it reported any. */
export interface StatusPair {
  runId: number;
  kind: string;
  repo: StatusRepo;
  issueNumber: number | null;
  title: string;
  /** From the latest progress when there is one (fresher than the run row's checkpoint). */
  phase: string;
  cycle: number;
  startedAt: string;
  progress:
    | (Omit<PairProgressReport, 'phase' | 'cycle'> & {
        /** When the progress row was written (ISO time). */
        at: string;
      })
    | null;
}

export interface StatusEvent {
  id: number;
  at: string;
  kind: string;
  repo: StatusRepo | null;
  /** The ticket's or request's issue number. */
  issueNumber: number | null;
  /** `from → to` of a transition. */
  from: string | null;
  to: string | null;
}

/** Model use per alias over the last {@link RECENT_CALLS} calls of the last hour. */
export interface StatusModelUse {
  alias: string;
  calls: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  /** Mean provider latency of answered calls, in ms. */
  meanLatencyMs: number;
}

/** Everything the page shows from the database. */
export interface StatusSnapshot {
  requests: StatusRequest[];
  tickets: StatusTicket[];
  pairs: StatusPair[];
  events: StatusEvent[];
  models: StatusModelUse[];
}

/** Row limits of the lists. */
const LIMITS = { requests: 50, tickets: 100, pairs: 50, events: 25 };
/** The model-use table looks at most this many of the latest calls. */
export const RECENT_CALLS = 2_000;
/** Event kinds that are noise on the page (per step, per delivery). */
const QUIET_KINDS = ['pair.progress', 'forge.event', 'run.record'];

interface RepoColumns {
  forge: string | null;
  owner: string | null;
  repo_name: string | null;
}

const repoOf = (r: RepoColumns): StatusRepo | null =>
  r.forge && r.owner && r.repo_name ? { forge: r.forge, owner: r.owner, name: r.repo_name } : null;

const iso = (v: unknown): string => (v instanceof Date ? v : new Date(String(v))).toISOString();

/** Reads the snapshot. @throws the database error */
export async function readStatus(db: Database): Promise<StatusSnapshot> {
  const requestRows = rowsOf<
    RepoColumns & {
      issue_number: number;
      title: string;
      state: string;
      spec_pr_number: number | null;
      blocked_reason: string | null;
      updated_at: unknown;
    }
  >(
    await db.execute(sql`
      select q.issue_number, q.title, q.state, q.spec_pr_number, q.blocked_reason, q.updated_at,
             r.forge, r.owner, r.name as repo_name
      from requests q join repositories r on r.id = q.repository_id
      where q.state not in ('done', 'cancelled') or q.updated_at > now() - interval '1 day'
      order by q.updated_at desc limit ${LIMITS.requests}`),
  );
  const ticketRows = rowsOf<
    RepoColumns & {
      issue_number: number | null;
      title: string;
      state: string;
      pr_number: number | null;
      blocked_reason: string | null;
      updated_at: unknown;
    }
  >(
    await db.execute(sql`
      select t.issue_number, t.title, t.state, t.pr_number, t.blocked_reason, t.updated_at,
             r.forge, r.owner, r.name as repo_name
      from tickets t join repositories r on r.id = t.repository_id
      where t.state <> 'done' or t.updated_at > now() - interval '1 day'
      order by t.updated_at desc limit ${LIMITS.tickets}`),
  );
  const pairRows = rowsOf<
    RepoColumns & {
      id: number;
      kind: string;
      phase: string;
      cycle: number;
      started_at: unknown;
      issue_number: number | null;
      title: string;
      progress: Record<string, unknown> | null;
      progress_at: unknown;
    }
  >(
    await db.execute(sql`
      select u.id, u.kind, u.phase, u.cycle, u.started_at, t.issue_number, t.title,
             r.forge, r.owner, r.name as repo_name, p.data as progress, p.at as progress_at
      from runs u
      join tickets t on t.id = u.ticket_id
      join repositories r on r.id = t.repository_id
      left join lateral (
        select e.data, e.at from events e
        where e.ticket_id = u.ticket_id and e.run_id = u.id and e.kind = 'pair.progress'
        order by e.ticket_id desc, e.id desc limit 1
      ) p on true
      where u.status = 'running' and t.state = 'in_progress'
      order by u.started_at limit ${LIMITS.pairs}`),
  );
  const eventRows = rowsOf<
    RepoColumns & {
      id: number | string;
      at: unknown;
      kind: string;
      from_state: unknown;
      to_state: unknown;
      ticket_issue: number | null;
      request_issue: number | null;
    }
  >(
    await db.execute(sql`
      select e.id, e.at, e.kind, e.data->>'from' as from_state, e.data->>'to' as to_state,
             t.issue_number as ticket_issue, q.issue_number as request_issue,
             r.forge, r.owner, r.name as repo_name
      from (
        select * from events
        where kind not like 'agent.%' and kind not in (${sql.join(
          QUIET_KINDS.map((k) => sql`${k}`),
          sql`, `,
        )})
        order by id desc limit ${LIMITS.events}
      ) e
      left join repositories r on r.id = e.repository_id
      left join tickets t on t.id = e.ticket_id
      left join requests q on q.id = e.request_id
      order by e.id desc`),
  );
  const modelRows = rowsOf<{
    alias: string;
    calls: number | string;
    failed: number | string;
    input_tokens: number | string;
    output_tokens: number | string;
    mean_latency_ms: number | string | null;
  }>(
    await db.execute(sql`
      select alias, count(*) as calls,
             count(*) filter (where outcome not in ('ok', 'invalid_output')) as failed,
             coalesce(sum(input_tokens), 0) as input_tokens,
             coalesce(sum(output_tokens), 0) as output_tokens,
             avg(latency_ms) filter (where outcome in ('ok', 'invalid_output')) as mean_latency_ms
      from model_calls
      where id > (select coalesce(max(id), 0) - ${RECENT_CALLS} from model_calls)
        and at > now() - interval '1 hour'
      group by alias order by alias`),
  );
  return {
    requests: requestRows.map((r) => ({
      repo: repoOf(r)!,
      issueNumber: r.issue_number,
      title: r.title,
      state: r.state,
      specPrNumber: r.spec_pr_number,
      blockedReason: r.blocked_reason,
      updatedAt: iso(r.updated_at),
    })),
    tickets: ticketRows.map((t) => ({
      repo: repoOf(t)!,
      issueNumber: t.issue_number,
      title: t.title,
      state: t.state,
      prNumber: t.pr_number,
      blockedReason: t.blocked_reason,
      updatedAt: iso(t.updated_at),
    })),
    pairs: pairRows.map((p) => ({
      runId: p.id,
      kind: p.kind,
      repo: repoOf(p)!,
      issueNumber: p.issue_number,
      title: p.title,
      phase: typeof p.progress?.phase === 'string' ? p.progress.phase : p.phase,
      cycle: typeof p.progress?.cycle === 'number' ? p.progress.cycle : p.cycle,
      startedAt: iso(p.started_at),
      progress: p.progress ? progressOf(p.progress, iso(p.progress_at)) : null,
    })),
    events: eventRows.map((e) => ({
      id: Number(e.id),
      at: iso(e.at),
      kind: e.kind,
      repo: repoOf(e),
      issueNumber: e.ticket_issue ?? e.request_issue,
      from:
        e.kind.endsWith('.transition') && typeof e.from_state === 'string' ? e.from_state : null,
      to: e.kind.endsWith('.transition') && typeof e.to_state === 'string' ? e.to_state : null,
    })),
    models: modelRows.map((m) => ({
      alias: m.alias,
      calls: Number(m.calls),
      failed: Number(m.failed),
      inputTokens: Number(m.input_tokens),
      outputTokens: Number(m.output_tokens),
      meanLatencyMs: Math.round(Number(m.mean_latency_ms ?? 0)),
    })),
  };
}

/** The fields of a `pair.progress` row the page shows; anything malformed reads as 0 or empty. */
function progressOf(
  data: Record<string, unknown>,
  at: string,
): NonNullable<StatusPair['progress']> {
  const n = (k: string): number => (typeof data[k] === 'number' ? data[k] : 0);
  return {
    criterion: n('criterion'),
    criteria: n('criteria'),
    passing: n('passing'),
    failing: n('failing'),
    tokens: n('tokens'),
    elapsedMs: n('elapsedMs'),
    message: typeof data.message === 'string' ? data.message.slice(0, 200) : '',
    at,
  };
}
