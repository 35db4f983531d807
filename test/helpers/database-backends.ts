/**
 * The two places Tandem's state can live, for suites that must pass on both: embedded PGlite and a real
 * PostgreSQL server (`TANDEM_TEST_POSTGRES_URL`, see `postgres-server.ts`).
 *
 * ```ts
 * describeOnDatabases('storage', (backend) => {      // "storage [pglite]", "storage [postgres 17 server]"
 *   it('…', async () => { const t = await backend.create(); … await t.close(); });
 * });
 * ```
 *
 * Without a server URL the server variant is skipped, with the reason in its title, except under `CI=true`:
 * there it fails, so CI can never pass by silently skipping it.
 */
import { describe, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/create-database.js';
import { createTestDatabase } from './database.js';
import { createServerTestDatabase, TEST_POSTGRES_URL } from './postgres-server.js';

/** Where a suite's database comes from. */
export interface TestDatabaseBackend {
  readonly kind: 'pglite' | 'postgres';
  /** For titles: `[pglite]` or `[postgres 17 server]` (the major version from `TANDEM_TEST_POSTGRES_VERSION`). */
  readonly label: string;
  /** A fresh migrated database of its own, owned by the caller (`close()` it). */
  create(): Promise<DatabaseHandle>;
  /** The same, not migrated. */
  createEmpty(): Promise<DatabaseHandle>;
}

/** The major version `.ci/run` read from its server, when it says. */
export const TEST_POSTGRES_VERSION = process.env.TANDEM_TEST_POSTGRES_VERSION || undefined;

export const PGLITE_BACKEND: TestDatabaseBackend = {
  kind: 'pglite',
  label: '[pglite]',
  create: createTestDatabase,
  createEmpty: () => createDatabase({ inMemory: true }),
};

export const SERVER_BACKEND: TestDatabaseBackend = {
  kind: 'postgres',
  label: TEST_POSTGRES_VERSION ? `[postgres ${TEST_POSTGRES_VERSION} server]` : '[postgres server]',
  create: () => createServerTestDatabase(),
  createEmpty: () => createServerTestDatabase({ migrate: false }),
};

/** Why the server variants cannot run, or undefined when they can. */
export function serverUnavailableReason(
  urls: (string | undefined)[] = [TEST_POSTGRES_URL],
  names = 'TANDEM_TEST_POSTGRES_URL',
): string | undefined {
  return urls.every((u) => u !== undefined)
    ? undefined
    : `${names} is not set (.ci/run starts a PostgreSQL server and sets it; docs/storage.md)`;
}

/**
 * `describe` for a suite that needs a PostgreSQL server: runs when the URLs are set; otherwise skipped with
 * the reason in its title, or, under `CI=true`, one failing test instead.
 */
export function describeOnServer(
  title: string,
  fn: () => void,
  reason: string | undefined = serverUnavailableReason(),
): void {
  if (reason === undefined) {
    describe(title, fn);
  } else if (process.env.CI === 'true') {
    describe(title, () => {
      it('has a PostgreSQL server to run on (CI never skips the server variants)', () => {
        throw new Error(reason);
      });
    });
  } else {
    describe.skip(`${title} (skipped: ${reason})`, fn);
  }
}

/** Declares the suite once per backend, titled `<title> [pglite]` and `<title> [postgres … server]`. */
export function describeOnDatabases(
  title: string,
  fn: (backend: TestDatabaseBackend) => void,
): void {
  describe(`${title} ${PGLITE_BACKEND.label}`, () => fn(PGLITE_BACKEND));
  describeOnServer(`${title} ${SERVER_BACKEND.label}`, () => fn(SERVER_BACKEND));
}
