/**
 * The two databases project memory must work on: embedded PGlite (pgvector 0.8 in WASM) and a real
 * PostgreSQL server with pgvector, named by `TANDEM_TEST_POSTGRES_URL` (a superuser URL; CI starts
 * PostgreSQL 17 + pgvector and sets it, see docs/storage.md). Each `open()` gives a fresh migrated
 * database of its own: a PGlite clone, or a `tandem_mem_<hex>` database created on the server and dropped
 * on `close()`.
 *
 * Without a server URL the server suites are skipped with the reason in their title, except under
 * `CI=true`, where they fail: CI can never pass by skipping them.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/create-database.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';
import { createTestDatabase } from '../helpers/database.js';

/** The test server's superuser URL, or undefined. */
export const MEMORY_TEST_POSTGRES_URL = process.env.TANDEM_TEST_POSTGRES_URL || undefined;

/** Opens a fresh migrated database; the caller closes it. */
export type OpenDatabase = () => Promise<DatabaseHandle>;

/** Runs one statement on the server's maintenance database. */
async function onServer(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A fresh migrated database on the test server, dropped (with its connections) on `close()`. */
export async function openServerDatabase(
  serverUrl = MEMORY_TEST_POSTGRES_URL,
): Promise<DatabaseHandle> {
  if (serverUrl === undefined) {
    throw new Error('TANDEM_TEST_POSTGRES_URL is not set');
  }
  const name = `tandem_mem_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = await createDatabase({ databaseUrl: url.toString() });
  const drop = () => onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  try {
    await migrateDatabase(handle);
  } catch (error) {
    await handle.close();
    await drop();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    ...handle,
    close() {
      closing ??= handle.close().then(drop);
      return closing;
    },
  };
}

/**
 * Declares the suite on PGlite (`<title> [pglite]`) and on the PostgreSQL server (`<title> [postgres
 * server]`, or skipped with the reason when no server URL is set; failing under `CI=true`).
 */
export function describeOnMemoryDatabases(
  title: string,
  fn: (open: OpenDatabase, kind: 'pglite' | 'postgres') => void,
): void {
  describe(`${title} [pglite]`, () => fn(createTestDatabase, 'pglite'));
  const server = `${title} [postgres server]`;
  if (MEMORY_TEST_POSTGRES_URL !== undefined) {
    describe(server, () => fn(() => openServerDatabase(), 'postgres'));
  } else if (process.env.CI === 'true') {
    describe(server, () => {
      it('has a PostgreSQL server to run on (CI never skips the server variants)', () => {
        throw new Error('TANDEM_TEST_POSTGRES_URL is not set');
      });
    });
  } else {
    describe.skip(`${server} (skipped: TANDEM_TEST_POSTGRES_URL is not set; see docs/storage.md)`, () =>
      fn(() => openServerDatabase(), 'postgres'));
  }
}
