/**
 * The two databases project memory must work on, through the storage suites' helper
 * (`test/helpers/database-backends.ts`): embedded PGlite (pgvector 0.8 in WASM) and a real PostgreSQL
 * server with pgvector named by `TANDEM_TEST_POSTGRES_URL` (skipped without it, failing under `CI=true`).
 * Each `open()` gives a fresh migrated database of its own.
 */
import type { DatabaseHandle } from '../../src/db/create-database.js';
import { describeOnDatabases } from '../helpers/database-backends.js';

/** Opens a fresh migrated database; the caller closes it. */
export type OpenDatabase = () => Promise<DatabaseHandle>;

/** Declares the suite on PGlite and on the PostgreSQL server, handing it the backend's `create`. */
export function describeOnMemoryDatabases(
  title: string,
  fn: (open: OpenDatabase, kind: 'pglite' | 'postgres') => void,
): void {
  describeOnDatabases(title, (backend) => fn(() => backend.create(), backend.kind));
}
