/**
 * Checks, before migrating a real PostgreSQL server, that Tandem's schema can get the pgvector extension
 * (`vector`: the `memories.embedding` column and its HNSW index), so that an operator reads what to
 * install instead of drizzle's `Failed query: CREATE EXTENSION IF NOT EXISTS vector`.
 */
import { MigrationError } from '../errors/index.js';

/** The oldest pgvector with HNSW indexes (pgvector's CHANGELOG, 0.5.0). */
export const MINIMUM_PGVECTOR_VERSION = '0.5.0';

/** Where the operator reads how to set up the server. */
const DOCS = 'docs/deployment.md ("A PostgreSQL server of your own")';

/** What the check reads from the server (one row). */
export interface PgvectorState {
  /** `server_version_num`, e.g. 170012. */
  serverVersionNum: number;
  /** pgvector's version the server can install, or null when the extension is not installed on it. */
  availableVersion: string | null;
  /** The version created in this database, or null. */
  installedVersion: string | null;
  /** Whether the connected role is a superuser (pgvector is not a trusted extension). */
  superuser: boolean;
  database: string;
  user: string;
}

/** Runs one query; node-postgres' `PoolClient.query` satisfies it. */
export type Query = (text: string) => Promise<{ rows: Record<string, unknown>[] }>;

/** Reads {@link PgvectorState} in one query. */
export async function readPgvectorState(query: Query): Promise<PgvectorState> {
  const { rows } = await query(
    `select current_setting('server_version_num')::int as num, current_database() as db,
            current_user as usr, (select rolsuper from pg_roles where rolname = current_user) as su,
            (select default_version from pg_available_extensions where name = 'vector') as available,
            (select extversion from pg_extension where extname = 'vector') as installed`,
  );
  const row = rows[0] ?? {};
  return {
    serverVersionNum: Number(row.num),
    availableVersion: typeof row.available === 'string' ? row.available : null,
    installedVersion: typeof row.installed === 'string' ? row.installed : null,
    superuser: row.su === true,
    database: String(row.db),
    user: String(row.usr),
  };
}

/**
 * Throws when the migration could not create or use pgvector, naming what to do.
 * @throws MigrationError (`migration_failed`) when pgvector is not installed on the server, older than
 *   {@link MINIMUM_PGVECTOR_VERSION}, or not created in the database while the role may not create it.
 */
export function assertPgvectorUsable(state: PgvectorState): void {
  const major = Math.floor(state.serverVersionNum / 10_000);
  const install =
    `Install it on the database server: the package postgresql-${major}-pgvector on Debian/Ubuntu ` +
    `(Debian 13 "trixie" and apt.postgresql.org have it), or the pgvector/pgvector:pg${major} image ` +
    `(as docker-compose.yml uses); see ${DOCS}`;
  if (state.installedVersion === null && state.availableVersion === null) {
    throw new MigrationError(
      `the server (PostgreSQL ${major}) lacks the pgvector extension "vector", which Tandem's schema ` +
        `needs (embeddings with an HNSW index). ${install}. Then run tandem migrate again.`,
    );
  }
  const version = state.installedVersion ?? state.availableVersion ?? '';
  if (compareVersions(version, MINIMUM_PGVECTOR_VERSION) < 0) {
    throw new MigrationError(
      `the PostgreSQL server has pgvector ${version}, older than ${MINIMUM_PGVECTOR_VERSION} (the ` +
        `first with HNSW indexes, which Tandem's schema uses). ${install}` +
        (state.installedVersion === null
          ? '.'
          : `, then run ALTER EXTENSION vector UPDATE in database ${state.database}.`),
    );
  }
  if (state.installedVersion === null && !state.superuser) {
    throw new MigrationError(
      `pgvector is installed on the server but not created in database ${state.database}, and ` +
        `${state.user} is not a superuser, so Tandem cannot create it: ask a superuser to run ` +
        `CREATE EXTENSION vector; in ${state.database} once (${DOCS}), then run tandem migrate again.`,
    );
  }
}

/** Compares dotted numeric versions (`0.8.0`, `0.10`): negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) {
      return d;
    }
  }
  return 0;
}
