/**
 * Opens Tandem's database: embedded PGlite (Postgres 18 in WASM, with pgvector) by default, or a real
 * PostgreSQL server through node-postgres when a connection URL is given. Either way callers get the same
 * drizzle {@link Database} over `schema.ts` and never need to know which driver is underneath.
 */
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Assume } from 'drizzle-orm';
import pg from 'pg';
import { z } from 'zod';
import { ConfigError, redactSecrets } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { initPgliteDataDir } from './init-pglite-data-dir.js';
import { pgliteTuning } from './pglite-tuning.js';
import { PgliteSessionLock } from './pglite-session-lock.js';
import * as schema from './schema.js';

/**
 * Result of `db.execute(sql…)` common to both drivers: the rows (PGlite's `Results` and node-postgres'
 * `QueryResult` both carry `rows`; anything else is driver-specific and deliberately not exposed).
 */
export interface TandemQueryResultHKT extends PgQueryResultHKT {
  type: TandemQueryResult<Assume<this['row'], Record<string, unknown>>>;
}

/** What `db.execute<Row>(sql…)` resolves to on either driver. */
export interface TandemQueryResult<Row> {
  rows: Row[];
}

/** Tandem's drizzle database over {@link schema}; both drivers satisfy it. */
export type Database = PgDatabase<TandemQueryResultHKT, typeof schema>;

/** Default Tandem data directory (relative to the working directory) when none is configured. */
export const DEFAULT_DATA_DIR = './.tandem';

/** Where options for {@link createDatabase} come from; validated with zod. */
export const DatabaseOptions = z
  .object({
    /** `postgres://…` or `postgresql://…`: use a real server (production path). */
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    /** Tandem data directory (`TANDEM_DATA_DIR`); PGlite keeps its files in `<dataDir>/pglite`. */
    dataDir: z.string().min(1).optional(),
    /** An in-memory PGlite, gone on close (tests). Cannot be combined with `databaseUrl`. */
    inMemory: z.boolean().optional(),
  })
  .refine((o) => !(o.inMemory === true && o.databaseUrl !== undefined), {
    message: 'inMemory and databaseUrl are mutually exclusive',
    path: ['inMemory'],
  });
export type DatabaseOptions = z.infer<typeof DatabaseOptions>;

/** Collaborators for {@link createDatabase}. */
export interface DatabaseCollaborators {
  /** Receives pool errors (idle client lost); without it they are ignored rather than crashing. */
  logger?: Logger;
}

interface HandleBase {
  /** drizzle over `schema`; the same API for both drivers. */
  readonly db: Database;
  /** Closes the driver (PGlite instance or pg pool). Idempotent. */
  close(): Promise<void>;
}

/** An embedded PGlite database. */
export interface PgliteDatabaseHandle extends HandleBase {
  readonly kind: 'pglite';
  /**
   * The PGlite instance for raw SQL (`pglite.query`, `pglite.exec`), already behind the session lock
   * (see {@link PgliteSessionLock}); never keep a reference to the unwrapped instance.
   */
  readonly pglite: PGlite;
  /** Shares the single PGlite session with wire-protocol clients (`servePglite`). */
  readonly sessionLock: PgliteSessionLock;
  /** Absolute PGlite data directory, or `null` in memory. */
  readonly dataDir: string | null;
}

/** A real PostgreSQL server reached through a node-postgres pool. */
export interface PostgresDatabaseHandle extends HandleBase {
  readonly kind: 'postgres';
  readonly pool: pg.Pool;
  /** The connection URL (contains credentials: never log it). */
  readonly databaseUrl: string;
}

/** What {@link createDatabase} returns; switch on `kind` for driver-specific needs. */
export type DatabaseHandle = PgliteDatabaseHandle | PostgresDatabaseHandle;

/**
 * Opens the database. Does not migrate: call `migrateDatabase(handle)` afterwards.
 *
 * - `databaseUrl` set → node-postgres `Pool` (kind `postgres`); the connection is not tested here, the first
 *   query fails with pg's own error if the server is unreachable.
 * - `inMemory: true` → in-memory PGlite with the `vector` extension loaded (kind `pglite`).
 * - otherwise → PGlite persisted in `<dataDir ?? ./.tandem>/pglite`; a missing directory is first
 *   created by initdb in a child process (`initPgliteDataDir`), so what initdb allocates is not kept.
 *
 * PGlite runs with the settings of `pglite-tuning.ts` (memory). A first PGlite start with pgvector takes about 3–4 s on a
 * 2-core machine (WASM compile); creating the data directory adds about 5 s.
 * @throws ConfigError when the options are invalid (the URL is never echoed).
 * @throws DatabaseInitError when a new data directory cannot be created.
 */
export async function createDatabase(
  options: DatabaseOptions = {},
  collaborators: DatabaseCollaborators = {},
): Promise<DatabaseHandle> {
  const parsed = DatabaseOptions.safeParse(options);
  if (!parsed.success) {
    throw new ConfigError(
      'database options',
      parsed.error.issues.map((i) => ({
        path: i.path.join('.'),
        message: redactSecrets(i.message),
      })),
    );
  }
  const { databaseUrl, dataDir, inMemory } = parsed.data;
  if (databaseUrl !== undefined) {
    return openPostgres(databaseUrl, collaborators);
  }
  const pgliteDir = inMemory === true ? null : resolve(join(dataDir ?? DEFAULT_DATA_DIR, 'pglite'));
  const { startParams, initDbStartParams, nodeFlags } = pgliteTuning();
  if (pgliteDir !== null) {
    await initPgliteDataDir(pgliteDir, { startParams, initDbStartParams, nodeFlags });
  }
  const pglite = await PGlite.create({
    ...(pgliteDir === null ? {} : { dataDir: pgliteDir }),
    extensions: { vector },
    startParams,
    initDbStartParams,
  });
  return wrapPglite(pglite, pgliteDir, collaborators);
}

/**
 * Wraps an already open PGlite instance (e.g. a clone) in a handle; the handle owns it and closes it.
 * The instance must have been created with the `vector` extension if the schema is to be migrated.
 */
export function wrapPglite(
  pglite: PGlite,
  dataDir: string | null = null,
  collaborators: DatabaseCollaborators = {},
): PgliteDatabaseHandle {
  const sessionLock = new PgliteSessionLock(
    pglite,
    collaborators.logger ? { logger: collaborators.logger } : {},
  );
  const db = drizzlePglite({ client: sessionLock.inProcess, schema });
  let closing: Promise<void> | undefined;
  return {
    kind: 'pglite',
    db,
    pglite: sessionLock.inProcess,
    sessionLock,
    dataDir,
    close() {
      closing ??= pglite.closed ? Promise.resolve() : pglite.close();
      return closing;
    },
  };
}

function openPostgres(
  databaseUrl: string,
  { logger }: DatabaseCollaborators,
): PostgresDatabaseHandle {
  const pool = new pg.Pool({ connectionString: databaseUrl });
  pool.on('error', (err) => {
    logger?.warn({ err: redactSecrets(err.message, [databaseUrl]) }, 'postgres: idle client error');
  });
  const db = drizzleNodePg({ client: pool, schema });
  let closing: Promise<void> | undefined;
  return {
    kind: 'postgres',
    db,
    pool,
    databaseUrl,
    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
