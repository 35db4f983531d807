/**
 * Test databases: `createTestDatabase()` gives each test its own fresh, migrated, in-memory PGlite
 * (with pgvector) in about 0.6 s.
 *
 * ```ts
 * let t: PgliteDatabaseHandle;
 * beforeEach(async () => { t = await createTestDatabase(); });
 * afterEach(() => t.close());
 * // t.db is the drizzle Database over src/db/schema.ts; t.pglite the raw PGlite for plain SQL.
 * ```
 *
 * How: the first call in a vitest worker creates one PGlite, migrates it and keeps a dump of its data
 * directory (about 3 s, once); every call then starts a new PGlite from that dump (PGlite's own `clone()`
 * does the same: `dumpDataDir` + `loadDataDir`). Measured on 2 cores: create + migrate 3.1 s, clone 0.6 s.
 * The template is never handed out, so no test can see another test's rows.
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import {
  createDatabase,
  wrapPglite,
  type PgliteDatabaseHandle,
} from '../../src/db/create-database.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';

export type { PgliteDatabaseHandle } from '../../src/db/create-database.js';
export type { Database } from '../../src/db/create-database.js';

// One template per vitest worker (a process or thread): test infrastructure, not application state.
let template: Promise<Blob> | undefined;

async function makeTemplate(): Promise<Blob> {
  const handle = await createDatabase({ inMemory: true });
  try {
    await migrateDatabase(handle);
    if (handle.kind !== 'pglite') {
      throw new Error('unreachable: inMemory gives a PGlite handle');
    }
    return await handle.pglite.dumpDataDir('none');
  } finally {
    await handle.close();
  }
}

/**
 * A fresh migrated in-memory database owned by the caller: call `close()` when done (in `afterEach`).
 * @returns a PGlite handle: `db` (drizzle), `pglite` (raw client), `close()`.
 */
export async function createTestDatabase(): Promise<PgliteDatabaseHandle> {
  template ??= makeTemplate();
  let dump: Blob;
  try {
    dump = await template;
  } catch (err) {
    template = undefined;
    throw err;
  }
  const pglite = await PGlite.create({ loadDataDir: dump, extensions: { vector } });
  return wrapPglite(pglite, null);
}
