/**
 * Serves an embedded PGlite database over the PostgreSQL wire protocol (pglite-socket), so clients that
 * only speak Postgres (BullMQ's PostgreSQL backend, node-postgres, psql) reach the same instance that
 * drizzle uses in-process. The session is shared safely through the handle's {@link PgliteSessionLock}.
 *
 * Transport: a Unix domain socket in a fresh private directory (mode 0700) by default, so no other local
 * user can connect (PGlite has no authentication); or TCP on 127.0.0.1 with a random port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { PgliteDatabaseHandle } from './create-database.js';

/** The port number in the Unix socket file name (`.s.PGSQL.<port>`), as libpq and node-postgres expect. */
const UNIX_SOCKET_PORT = 5432;

/** Options for {@link servePglite}. */
export interface ServePgliteOptions {
  /** Concurrent wire connections (pglite-socket's multiplexer); default 16. BullMQ needs more than 1. */
  maxConnections?: number;
  /** `unix` (default): socket file in a private temp dir; `tcp`: 127.0.0.1 on a random port. */
  transport?: 'unix' | 'tcp';
}

/** node-postgres connection settings for the served database (no password: PGlite has no auth). */
export interface PgliteConnectionConfig {
  /** Directory holding the socket (unix) or `127.0.0.1` (tcp). */
  host: string;
  port: number;
  user: string;
  database: string;
}

/** A running server; `stop()` disconnects every client and removes the socket directory. */
export interface PgliteServer {
  readonly connection: PgliteConnectionConfig;
  /** The same as a URL (`postgresql://postgres@/postgres?host=/tmp/…` or `…@127.0.0.1:port/postgres`). */
  readonly connectionString: string;
  /** Idempotent. Does not close the database. */
  stop(): Promise<void>;
}

/**
 * Starts serving `handle` on the wire.
 * @throws the underlying `listen` error (e.g. EADDRINUSE) after cleaning up the socket directory.
 */
export async function servePglite(
  handle: PgliteDatabaseHandle,
  options: ServePgliteOptions = {},
): Promise<PgliteServer> {
  const maxConnections = options.maxConnections ?? 16;
  const transport = options.transport ?? 'unix';
  const socketDir = transport === 'unix' ? await mkdtemp(join(tmpdir(), 'tandem-pg-')) : null;
  const server = new PGLiteSocketServer({
    db: handle.sessionLock.createSocketView(),
    maxConnections,
    ...(socketDir === null
      ? { host: '127.0.0.1', port: 0 }
      : { path: join(socketDir, `.s.PGSQL.${UNIX_SOCKET_PORT}`) }),
  });
  try {
    await server.start();
  } catch (err) {
    if (socketDir !== null) {
      await rm(socketDir, { recursive: true, force: true });
    }
    throw err;
  }
  let connection: PgliteConnectionConfig;
  let connectionString: string;
  if (socketDir === null) {
    const port = Number(server.getServerConn().split(':').pop());
    connection = { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' };
    connectionString = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  } else {
    connection = {
      host: socketDir,
      port: UNIX_SOCKET_PORT,
      user: 'postgres',
      database: 'postgres',
    };
    connectionString = `postgresql://postgres@/postgres?host=${encodeURIComponent(socketDir)}&port=${UNIX_SOCKET_PORT}`;
  }
  let stopping: Promise<void> | undefined;
  return {
    connection,
    connectionString,
    stop() {
      stopping ??= (async () => {
        await server.stop();
        if (socketDir !== null) {
          await rm(socketDir, { recursive: true, force: true });
        }
      })();
      return stopping;
    },
  };
}
