/**
 * Gauges read from the database at scrape time: tickets and requests by state, pair runs running, and
 * the outbox backlog. One statement per scrape, on small tables (tickets, requests, running runs) and the
 * outbox's partial index of pending rows, so a scrape every 15 s costs next to nothing.
 *
 * Registered by the process that runs the HTTP side (`tandem server`, `tandem start`), so a fleet of
 * workers does not report the same database numbers once each.
 */
import { sql } from 'drizzle-orm';
import { Gauge } from 'prom-client';
import type { Database } from '../db/create-database.js';
import { rowsOf } from '../db/rows-of.js';
import type { Logger } from '../log/logger.js';
import { RequestState } from '../workflow/requests/request-state.js';
import { TicketState } from '../workflow/tickets/ticket-state.js';
import type { TandemMetrics } from './tandem-metrics.js';

interface CountRow {
  what: 'ticket' | 'request' | 'run' | 'outbox';
  state: string;
  n: number | string;
}

/**
 * Registers `tandem_tickets{state}`, `tandem_requests{state}` (every state, 0 included; tickets of
 * `tandem run` without a repository left out), `tandem_pair_runs_running` and `tandem_outbox_pending`.
 * A failed read (database away) leaves the gauges empty for that scrape and is logged at warn.
 */
export function collectDatabaseGauges(
  metrics: Pick<TandemMetrics, 'registry'>,
  db: Database,
  logger?: Logger,
): void {
  // One read per scrape serves the four gauges: prom-client runs their collects together, so the
  // first one starts the statement and the others join it.
  let pending: Promise<CountRow[] | null> | undefined;
  const read = (): Promise<CountRow[] | null> => {
    pending ??= db
      .execute(
        sql`
          select 'ticket' as what, state, count(*) as n from tickets
            where repository_id is not null group by state
          union all select 'request', state, count(*) from requests group by state
          union all select 'run', 'running', count(*) from runs where status = 'running'
          union all select 'outbox', 'pending', count(*) from outbox
            where relayed_at is null and parked_at is null`,
      )
      .then(
        (result) => rowsOf<CountRow>(result),
        (error: unknown) => {
          logger?.warn({ err: error }, 'database gauges could not be read');
          return null;
        },
      )
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  /** Sets `gauge` from the rows of `what`: every state in `states` (0 when absent), then the others. */
  const fill = async (
    gauge: Gauge<'state'>,
    what: CountRow['what'],
    states: readonly string[],
  ): Promise<void> => {
    gauge.reset();
    const rows = await read();
    if (rows === null) {
      return;
    }
    for (const state of states) {
      gauge.set({ state }, 0);
    }
    for (const row of rows.filter((r) => r.what === what)) {
      gauge.set({ state: row.state }, Number(row.n));
    }
  };
  /** Sets an unlabelled `gauge` from the one row of `what`. */
  const fillOne = async (gauge: Gauge, what: CountRow['what']): Promise<void> => {
    gauge.reset();
    const row = (await read())?.find((r) => r.what === what);
    if (row !== undefined) {
      gauge.set(Number(row.n));
    }
  };
  const registers = [metrics.registry];
  new Gauge({
    name: 'tandem_tickets',
    help: 'Tickets of forge repositories, by state.',
    labelNames: ['state'],
    registers,
    collect() {
      return fill(this, 'ticket', TicketState.options);
    },
  });
  new Gauge({
    name: 'tandem_requests',
    help: 'Requests, by state.',
    labelNames: ['state'],
    registers,
    collect() {
      return fill(this, 'request', RequestState.options);
    },
  });
  new Gauge({
    name: 'tandem_pair_runs_running',
    help: 'Pair and revise runs whose status is running (a run of a killed worker stays running until it resumes).',
    registers,
    collect() {
      return fillOne(this, 'run');
    },
  });
  new Gauge({
    name: 'tandem_outbox_pending',
    help: 'Accepted deliveries not yet moved to the events queue (neither relayed nor parked).',
    registers,
    collect() {
      return fillOne(this, 'outbox');
    },
  });
}
