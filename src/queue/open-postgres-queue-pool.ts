/**
 * The PostgreSQL side of the queue: one node-postgres pool on Tandem's database, with BullMQ's own schema
 * (`bullmq`) migrated, shared by every Queue/Worker/FlowProducer/QueueEvents the backend makes.
 *
 * - Real server (`DATABASE_URL`): the pool pins `search_path` to `bullmq` through the startup `options`,
 *   as BullMQ does for the pools it builds itself.
 * - Embedded PGlite: the database is served on a private Unix socket (`servePglite`). PGlite has a single
 *   session shared by every wire client and by drizzle, and it ignores the startup `options` (checked: a
 *   `-c search_path` there and `ALTER DATABASE … SET search_path` both leave `public`), so the search path
 *   is set once with a session-level `SET` before the pool opens. It is `public, bullmq`: Tandem's own
 *   unqualified DDL still lands in `public`, BullMQ's unqualified names resolve in `bullmq` (no Tandem table
 *   may reuse a BullMQ table name; a test checks this).
 */
import { runMigrations } from 'bullmq';
import pg from 'pg';
import type { DatabaseHandle } from '../db/create-database.js';
import { servePglite, type PgliteServer } from '../db/serve-pglite.js';
import { assertQueueServerVersion, readServerVersion } from './assert-queue-server-version.js';

/** BullMQ's schema in Tandem's database. */
export const BULLMQ_SCHEMA = 'bullmq';

/** An open pool and the close function for everything opened with it. */
export interface PostgresQueuePool {
  readonly pool: pg.Pool;
  readonly description: 'postgres' | 'pglite';
  /** Ends the pool, then stops the PGlite socket server if one was started. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the pool, checks the server is new enough for BullMQ (`assertQueueServerVersion`) and runs BullMQ's
 * migrations (idempotent; BullMQ serialises concurrent starters with an advisory lock). `poolSize` bounds
 * connections: each Worker and QueueEvents keeps one for `LISTEN`, the rest run queries, so it must exceed
 * the number of workers plus queue events.
 * @throws the driver's error (the caller wraps it); nothing stays open when it throws.
 */
export async function openPostgresQueuePool(
  database: DatabaseHandle,
  poolSize: number,
  onPoolError: (err: Error) => void,
): Promise<PostgresQueuePool> {
  let server: PgliteServer | undefined;
  let pool: pg.Pool;
  if (database.kind === 'pglite') {
    await database.pglite.exec(
      `CREATE SCHEMA IF NOT EXISTS ${BULLMQ_SCHEMA}; SET search_path = public, ${BULLMQ_SCHEMA};`,
    );
    server = await servePglite(database, { maxConnections: poolSize + 4 });
    pool = new pg.Pool({ ...server.connection, max: poolSize });
    fanOutNotifications(pool);
  } else {
    pool = new pg.Pool({
      connectionString: database.databaseUrl,
      max: poolSize,
      options: `-c search_path=${BULLMQ_SCHEMA}`,
    });
  }
  // Every Queue/Worker/QueueEvents adds its own error listener to the shared pool.
  pool.setMaxListeners(0);
  pool.on('error', onPoolError);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await pool.end();
      await server?.stop();
    })();
    return closing;
  };
  try {
    const client = await pool.connect();
    try {
      assertQueueServerVersion(await readServerVersion((text) => client.query(text)));
      await runMigrations(client, BULLMQ_SCHEMA);
    } finally {
      client.release();
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { pool, description: database.kind, close };
}

/**
 * PGlite sends a `NOTIFY` to whichever wire client's statement produced it (one session, so the session is
 * "listening" for everybody), not to BullMQ's dedicated `LISTEN` connection. Re-emitting each notification
 * on every other client of the pool restores Postgres semantics: all listeners hear it (BullMQ filters by
 * channel and payload). Without this a blocked worker only wakes at its poll timeout (`drainDelay`, 5 s).
 */
function fanOutNotifications(pool: pg.Pool): void {
  const clients = new Set<pg.PoolClient>();
  const forwarded = new WeakSet<pg.Notification>();
  pool.on('connect', (client) => {
    clients.add(client);
    client.on('notification', (message) => {
      if (forwarded.has(message)) {
        return;
      }
      forwarded.add(message);
      for (const other of clients) {
        if (other !== client) {
          other.emit('notification', message);
        }
      }
    });
  });
  pool.on('remove', (client) => {
    clients.delete(client);
  });
}
