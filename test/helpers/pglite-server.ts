/**
 * A migrated test database served over the Postgres wire protocol, for tests of code that takes a
 * connection (node-postgres, BullMQ's PostgreSQL backend) rather than a drizzle handle.
 *
 * ```ts
 * const served = await createServedTestDatabase();          // { handle, server }
 * const pool = new pg.Pool(served.server.connection);      // talks to served.handle's PGlite
 * await served.close();                                     // stops the server, closes the database
 * ```
 */
import {
  servePglite,
  type PgliteServer,
  type ServePgliteOptions,
} from '../../src/db/serve-pglite.js';
import { createTestDatabase, type PgliteDatabaseHandle } from './database.js';

/** A served test database; `close()` stops the server first, then closes the database. */
export interface ServedTestDatabase {
  readonly handle: PgliteDatabaseHandle;
  readonly server: PgliteServer;
  close(): Promise<void>;
}

/**
 * A fresh migrated in-memory PGlite (see `createTestDatabase`) listening on a private Unix socket
 * (or TCP on 127.0.0.1 with `{ transport: 'tcp' }`).
 */
export async function createServedTestDatabase(
  options: ServePgliteOptions = {},
): Promise<ServedTestDatabase> {
  const handle = await createTestDatabase();
  try {
    const server = await servePglite(handle, options);
    return {
      handle,
      server,
      async close() {
        await server.stop();
        await handle.close();
      },
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
