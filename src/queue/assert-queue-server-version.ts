/**
 * Checks that a PostgreSQL server is new enough for BullMQ's PostgreSQL queue backend before its schema is
 * migrated. BullMQ 6.7 refuses servers older than its `MINIMUM_POSTGRES_VERSION` (13: its operation
 * functions rely on `INSERT … ON CONFLICT`, transaction advisory locks, `unnest … WITH ORDINALITY` and
 * expanded arrays; `postgres/migrator.js`) but suggests `skipVersionCheck`, which Tandem does not offer;
 * this check names the minimum and Tandem's own ways out instead.
 */
import { MINIMUM_POSTGRES_VERSION } from 'bullmq';
import { QueueBackendError } from '../errors/index.js';

/** A server's version as it reports it. */
export interface ServerVersion {
  /** `server_version_num`, e.g. 170012 for 17.12. */
  num: number;
  /** `server_version`, e.g. `17.12 (Debian 17.12-0+deb13u1)`. */
  version: string;
}

/** Reads the server's version; node-postgres' `PoolClient.query` satisfies `query`. */
export async function readServerVersion(
  query: (text: string) => Promise<{ rows: Record<string, unknown>[] }>,
): Promise<ServerVersion> {
  const { rows } = await query(
    `select current_setting('server_version_num')::int as num, current_setting('server_version') as version`,
  );
  return { num: Number(rows[0]?.num), version: String(rows[0]?.version) };
}

/**
 * @param minimumMajor the oldest major version accepted; BullMQ's own minimum unless a caller needs more.
 * @throws QueueBackendError (`queue_backend_failed`) naming the server's version, the minimum and what to do.
 */
export function assertQueueServerVersion(
  server: ServerVersion,
  minimumMajor: number = MINIMUM_POSTGRES_VERSION,
): void {
  const major = Math.floor(server.num / 10_000);
  if (Number.isFinite(major) && major >= minimumMajor) {
    return;
  }
  throw new QueueBackendError(
    `PostgreSQL ${server.version} is too old for BullMQ's PostgreSQL queue backend, which needs ` +
      `PostgreSQL ${minimumMajor} or newer: upgrade the server, or set REDIS_URL so that jobs go to ` +
      `Redis instead (docs/deployment.md, "A PostgreSQL server of your own")`,
  );
}
