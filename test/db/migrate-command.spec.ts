import { mkdtemp, rm } from 'node:fs/promises';
import { SHIPPED_MIGRATIONS } from '../helpers/shipped-migrations.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runMigrate } from '../../src/cli/commands/migrate.js';
import {
  describeOnServer,
  SERVER_BACKEND,
  serverUnavailableReason,
} from '../helpers/database-backends.js';
import {
  createServerTestDatabase,
  TEST_POSTGRES_NO_PGVECTOR_URL,
  TEST_POSTGRES_URL,
  type ServerTestDatabase,
} from '../helpers/postgres-server.js';

describe('tandem migrate', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('applies the migrations into TANDEM_DATA_DIR, then reports up to date', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-cli-'));
    dirs.push(dir);
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      env: { TANDEM_DATA_DIR: dir },
      stdout: (t: string) => out.push(t),
      stderr: (t: string) => err.push(t),
    };
    expect(await runMigrate(io)).toBe(0);
    expect(out.join('')).toContain('applied 0001_core-tables');
    const n = SHIPPED_MIGRATIONS.length;
    expect(out.join('')).toContain(
      `PGlite at ${join(dir, 'pglite')}: applied ${n} of ${n} migrations`,
    );
    out.length = 0;
    expect(await runMigrate(io)).toBe(0);
    expect(out.join('')).toContain(`up to date (${n} migrations)`);
    expect(err).toEqual([]);
  });

  it('exits 1 with a readable message for a bad DATABASE_URL, without echoing it', async () => {
    const err: string[] = [];
    const code = await runMigrate({
      env: { DATABASE_URL: 'mysql://root:hunter2-secret@db/x' },
      stdout: () => {},
      stderr: (t) => err.push(t),
    });
    expect(code).toBe(1);
    expect(err.join('')).toContain('databaseUrl: must be a postgres:// or postgresql:// URL');
    expect(err.join('')).not.toContain('hunter2');
  });
});

describeOnServer(`tandem migrate ${SERVER_BACKEND.label}`, () => {
  let t: ServerTestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('applies the migrations into DATABASE_URL, then reports up to date', async () => {
    t = await createServerTestDatabase({ migrate: false });
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      env: { DATABASE_URL: t.databaseUrl },
      stdout: (s: string) => out.push(s),
      stderr: (s: string) => err.push(s),
    };
    expect(await runMigrate(io)).toBe(0);
    expect(out.join('')).toContain('applied 0000_vector-extension');
    const n = SHIPPED_MIGRATIONS.length;
    expect(out.join('')).toContain(`PostgreSQL: applied ${n} of ${n} migrations`);
    out.length = 0;
    expect(await runMigrate(io)).toBe(0);
    expect(out.join('')).toContain(`PostgreSQL: up to date (${n} migrations)`);
    expect(err).toEqual([]);
  });
});

describeOnServer(
  'tandem migrate on a PostgreSQL server without pgvector',
  () => {
    let t: ServerTestDatabase | undefined;
    afterEach(async () => {
      await t?.close();
      t = undefined;
    });

    it('names the missing extension, the package and image that provide it, and the docs; applies nothing', async () => {
      t = await createServerTestDatabase({
        migrate: false,
        serverUrl: TEST_POSTGRES_NO_PGVECTOR_URL!,
      });
      const out: string[] = [];
      const err: string[] = [];
      const code = await runMigrate({
        env: { DATABASE_URL: t.databaseUrl },
        stdout: (s) => out.push(s),
        stderr: (s) => err.push(s),
      });
      expect(code).toBe(1);
      const message = err.join('');
      const major = /server \(PostgreSQL (\d+)\)/.exec(message)?.[1];
      expect(major).toBeDefined();
      expect(message).toContain('lacks the pgvector extension "vector"');
      expect(message).toContain(`postgresql-${major}-pgvector on Debian/Ubuntu`);
      expect(message).toContain(`pgvector/pgvector:pg${major} image`);
      expect(message).toContain('docs/deployment.md');
      expect(message).not.toContain('Failed query');
      expect(message).not.toContain(new URL(t.databaseUrl).password);
      expect(out).toEqual([]);
      // Checked before drizzle starts: not even its ledger was created.
      const { rows } = await t.pool.query<{ ledger: string | null }>(
        `select to_regclass('drizzle.__drizzle_migrations')::text as ledger`,
      );
      expect(rows).toEqual([{ ledger: null }]);
    });
  },
  serverUnavailableReason(
    [TEST_POSTGRES_URL, TEST_POSTGRES_NO_PGVECTOR_URL],
    'TANDEM_TEST_POSTGRES_URL or TANDEM_TEST_POSTGRES_NO_PGVECTOR_URL',
  ),
);
