/**
 * What only a real PostgreSQL server shows (`TANDEM_TEST_POSTGRES_URL`; .ci/run starts PostgreSQL 17 with
 * pgvector 0.8): the server is the one the titles name, several processes migrate one database at once,
 * and an operator's role that may not create extensions gets told what to ask for.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { runMigrate } from '../../src/cli/commands/migrate.js';
import { createDatabase, type DatabaseHandle } from '../../src/db/create-database.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';
import { repositories } from '../../src/db/schema.js';
import {
  describeOnServer,
  SERVER_BACKEND,
  TEST_POSTGRES_VERSION,
} from '../helpers/database-backends.js';
import { createServerTestDatabase, TEST_POSTGRES_URL } from '../helpers/postgres-server.js';
import { SHIPPED_MIGRATIONS } from '../helpers/shipped-migrations.js';

const ALL = [...SHIPPED_MIGRATIONS];

describeOnServer(`a PostgreSQL server ${SERVER_BACKEND.label}`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup();
    }
  });

  /** Runs statements as the server's superuser on database `db` (default: the maintenance one). */
  async function asSuperuser(statements: string[], db?: string): Promise<void> {
    const url = new URL(TEST_POSTGRES_URL!);
    if (db !== undefined) {
      url.pathname = `/${db}`;
    }
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      for (const statement of statements) {
        await client.query(statement);
      }
    } finally {
      await client.end();
    }
  }

  it('is the server the titles name, with pgvector 0.8 or newer available', async () => {
    const t = await createServerTestDatabase();
    cleanups.push(() => t.close());
    const { rows } = await t.db.execute<{ num: number; vector: string }>(
      sql`select current_setting('server_version_num')::int as num,
                 (select extversion from pg_extension where extname = 'vector') as vector`,
    );
    const major = Math.floor(Number(rows[0]?.num) / 10_000);
    if (TEST_POSTGRES_VERSION !== undefined) {
      expect(String(major)).toBe(TEST_POSTGRES_VERSION);
    }
    const [maj, min] = String(rows[0]?.vector).split('.').map(Number);
    expect((maj ?? 0) * 100 + (min ?? 0)).toBeGreaterThanOrEqual(8);
  });

  it('lets several processes migrate one database at once: one applies, the others find it done', async () => {
    const t = await createServerTestDatabase({ migrate: false });
    cleanups.push(() => t.close());
    const others: DatabaseHandle[] = await Promise.all(
      [1, 2].map(() => createDatabase({ databaseUrl: t.databaseUrl })),
    );
    cleanups.push(async () => {
      await Promise.all(others.map((o) => o.close()));
    });
    const reports = await Promise.all([t, ...others].map((h) => migrateDatabase(h)));
    const applied = reports.map((r) => r.applied).sort((a, b) => b.length - a.length);
    expect(applied).toEqual([ALL, [], []]);
    await t.db.insert(repositories).values({ forge: 'gitea', owner: 'o', name: 'r' });
    expect(await others[0]!.db.select().from(repositories)).toHaveLength(1);
  });

  it('tells a role that may not create pgvector what to ask a superuser for, then migrates', async () => {
    const role = `tandem_app_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const password = randomUUID();
    const t = await createServerTestDatabase({ migrate: false });
    await asSuperuser([
      `CREATE ROLE ${role} LOGIN PASSWORD '${password}'`,
      `ALTER DATABASE ${t.name} OWNER TO ${role}`,
    ]);
    cleanups.push(async () => {
      await t.close();
      await asSuperuser([`DROP ROLE IF EXISTS ${role}`]);
    });
    const url = new URL(t.databaseUrl);
    url.username = role;
    url.password = password;
    const io = { out: [] as string[], err: [] as string[] };
    const migrate = () =>
      runMigrate({
        env: { DATABASE_URL: url.toString() },
        stdout: (s) => io.out.push(s),
        stderr: (s) => io.err.push(s),
      });

    expect(await migrate()).toBe(1);
    const message = io.err.join('');
    expect(message).toContain(`not created in database ${t.name}`);
    expect(message).toContain(`${role} is not a superuser`);
    expect(message).toContain(`CREATE EXTENSION vector; in ${t.name}`);
    expect(message).not.toContain(password);

    await asSuperuser(['CREATE EXTENSION vector'], t.name);
    io.err.length = 0;
    expect(await migrate()).toBe(0);
    const n = ALL.length;
    expect(io.out.join('')).toContain(`PostgreSQL: applied ${n} of ${n} migrations`);
    expect(io.err).toEqual([]);
  });
});
