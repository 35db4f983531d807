/**
 * Test databases on a real PostgreSQL server: `createServerTestDatabase()` creates a fresh database on the
 * server named by `TANDEM_TEST_POSTGRES_URL` (a superuser URL; `.ci/run` starts PostgreSQL 17 with
 * pgvector 0.8 in Docker and sets it), migrates it, and drops it again on `close()`.
 *
 * ```ts
 * const t = await createServerTestDatabase();   // a PostgresDatabaseHandle on its own database
 * await t.db.insert(tickets).values(…);
 * await t.close();                              // closes the pool, then DROP DATABASE … WITH (FORCE)
 * ```
 *
 * One database per call (CREATE DATABASE, about 0.1–0.3 s here), so tests never see each other's rows and
 * a test may run BullMQ's PostgreSQL backend in it. `TANDEM_TEST_POSTGRES_NO_PGVECTOR_URL` names a second
 * server without pgvector installed (for the error a user gets there).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createDatabase, type PostgresDatabaseHandle } from '../../src/db/create-database.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';

/** The superuser URL of the test server, or undefined when no server is configured. */
export const TEST_POSTGRES_URL = process.env.TANDEM_TEST_POSTGRES_URL || undefined;

/** The superuser URL of a server without pgvector, or undefined. */
export const TEST_POSTGRES_NO_PGVECTOR_URL =
  process.env.TANDEM_TEST_POSTGRES_NO_PGVECTOR_URL || undefined;

/** Options of {@link createServerTestDatabase}. */
export interface ServerTestDatabaseOptions {
  /** Apply Tandem's migrations (default true). */
  migrate?: boolean;
  /** The server's superuser URL (default {@link TEST_POSTGRES_URL}). */
  serverUrl?: string;
}

/** A test database on a server: the handle owns it and drops it on `close()`. */
export type ServerTestDatabase = PostgresDatabaseHandle & {
  /** The database's name (`tandem_test_<hex>`). */
  readonly name: string;
};

/**
 * Creates `tandem_test_<random>` on the server, opens it with `createDatabase({ databaseUrl })` and
 * (by default) migrates it.
 * @throws Error when no server URL is configured, or the driver's error when the server refuses.
 */
export async function createServerTestDatabase(
  options: ServerTestDatabaseOptions = {},
): Promise<ServerTestDatabase> {
  const serverUrl = options.serverUrl ?? TEST_POSTGRES_URL;
  if (serverUrl === undefined) {
    throw new Error('TANDEM_TEST_POSTGRES_URL is not set: no PostgreSQL server to test on');
  }
  const name = `tandem_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let handle: PostgresDatabaseHandle | undefined;
  try {
    const opened = await createDatabase({ databaseUrl: url.toString() });
    if (opened.kind !== 'postgres') {
      throw new Error('unreachable: a databaseUrl gives a postgres handle');
    }
    handle = opened;
    if (options.migrate !== false) {
      await migrateDatabase(handle);
    }
  } catch (err) {
    await handle?.close();
    await onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    throw err;
  }
  const opened = handle;
  let closing: Promise<void> | undefined;
  return {
    kind: 'postgres',
    db: opened.db,
    pool: opened.pool,
    databaseUrl: opened.databaseUrl,
    name,
    close() {
      closing ??= (async () => {
        await opened.close();
        // FORCE: a test that failed may leave a client (a BullMQ listener) connected.
        await onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      })();
      return closing;
    },
  };
}

/** Runs one statement on the server's maintenance database with a short-lived client. */
async function onServer(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
