import { setTimeout as sleep } from 'node:timers/promises';
import { SHIPPED_MIGRATIONS } from '../helpers/shipped-migrations.js';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/create-database.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';
import { servePglite, type PgliteServer } from '../../src/db/serve-pglite.js';
import { EMBEDDING_DIMENSIONS, memories, repositories } from '../../src/db/schema.js';
import { createServedTestDatabase, type ServedTestDatabase } from '../helpers/pglite-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

function unit(axis: number): number[] {
  const v = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
  v[axis] = 1;
  return v;
}

describe('migrateDatabase through the node-postgres driver (PGlite served on the wire)', () => {
  it.each(['unix', 'tcp'] as const)(
    'applies, re-applies as a no-op and queries (%s)',
    async (transport) => {
      const embedded = await createDatabase({ inMemory: true });
      cleanups.push(() => embedded.close());
      if (embedded.kind !== 'pglite') {
        throw new Error('expected PGlite');
      }
      const server: PgliteServer = await servePglite(embedded, { transport });
      cleanups.push(() => server.stop());

      const remote: DatabaseHandle = await createDatabase({ databaseUrl: server.connectionString });
      cleanups.push(() => remote.close());
      expect(remote.kind).toBe('postgres');

      expect(await migrateDatabase(remote)).toEqual({
        applied: SHIPPED_MIGRATIONS,
        total: SHIPPED_MIGRATIONS.length,
      });
      expect((await migrateDatabase(remote)).applied).toEqual([]);
      // The embedded side sees the same database.
      expect((await migrateDatabase(embedded)).applied).toEqual([]);

      const [repo] = await remote.db
        .insert(repositories)
        .values({ forge: 'github', owner: 'o', name: 'r' })
        .returning();
      const repositoryId = repo?.id ?? 0;
      const dimensions = EMBEDDING_DIMENSIONS;
      await remote.db.insert(memories).values([
        { repositoryId, kind: 'spec', ref: 'a', content: 'alpha', embedding: unit(1), dimensions },
        { repositoryId, kind: 'spec', ref: 'b', content: 'beta', embedding: unit(2), dimensions },
      ]);
      const distance = sql`${memories.embedding} <=> ${JSON.stringify(unit(2))}::vector`;
      const nearest = await remote.db
        .select({ ref: memories.ref })
        .from(memories)
        .orderBy(distance)
        .limit(1);
      expect(nearest).toEqual([{ ref: 'b' }]);
      const viaPglite = await embedded.db.select({ ref: memories.ref }).from(memories);
      expect(viaPglite.map((r) => r.ref).sort()).toEqual(['a', 'b']);
    },
  );
});

describe('PGlite session shared between drizzle and wire clients', () => {
  let served: ServedTestDatabase;
  let pool: pg.Pool;

  async function setup(): Promise<void> {
    served = await createServedTestDatabase();
    cleanups.push(() => served.close());
    pool = new pg.Pool({ ...served.server.connection, max: 4 });
    cleanups.push(() => pool.end());
  }

  it('keeps wire statements out of an in-process transaction that rolls back', async () => {
    await setup();
    const inProcess = served.handle.db
      .transaction(async (tx) => {
        await tx.insert(repositories).values({ forge: 'github', owner: 'in', name: 'rolled-back' });
        await sleep(300);
        tx.rollback();
      })
      .catch(() => 'rolled back');
    await sleep(50);
    await pool.query(
      `insert into repositories (forge, owner, name) values ('github', 'wire', 'kept')`,
    );
    expect(await inProcess).toBe('rolled back');
    const rows = await served.handle.db.select({ name: repositories.name }).from(repositories);
    expect(rows).toEqual([{ name: 'kept' }]);
  });

  it('keeps in-process statements out of a wire transaction that rolls back', async () => {
    await setup();
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `insert into repositories (forge, owner, name) values ('gitea', 'wire', 'rolled-back')`,
      );
      // drizzle builders run when awaited: `.then` starts it now, while the wire transaction is open.
      const inProcess = served.handle.db
        .insert(repositories)
        .values({ forge: 'gitea', owner: 'in', name: 'kept' })
        .then(() => 'inserted');
      await sleep(200);
      await client.query('rollback');
      expect(await inProcess).toBe('inserted');
    } finally {
      client.release();
    }
    const rows = await served.handle.db.select({ name: repositories.name }).from(repositories);
    expect(rows).toEqual([{ name: 'kept' }]);
  });

  it('keeps two servers on one database out of each other’s transactions', async () => {
    await setup();
    const second = await servePglite(served.handle);
    cleanups.push(() => second.stop());
    const a = new pg.Client(served.server.connection);
    const b = new pg.Client(second.connection);
    await Promise.all([a.connect(), b.connect()]);
    cleanups.push(async () => {
      await Promise.all([a.end(), b.end()]);
    });
    await a.query('begin');
    await a.query(
      `insert into repositories (forge, owner, name) values ('github', 'a', 'rolled-back')`,
    );
    const fromB = b.query(
      `insert into repositories (forge, owner, name) values ('github', 'b', 'kept')`,
    );
    await sleep(200);
    await a.query('rollback');
    await fromB;
    const rows = await served.handle.db.select({ name: repositories.name }).from(repositories);
    expect(rows).toEqual([{ name: 'kept' }]);
  });

  it('rolls back the open transaction of a wire client that disconnects', async () => {
    await setup();
    const client = new pg.Client(served.server.connection);
    await client.connect();
    await client.query('begin');
    await client.query(
      `insert into repositories (forge, owner, name) values ('github', 'gone', 'lost')`,
    );
    client.on('error', () => {});
    await client.end();
    // The in-process side is not blocked forever and does not inherit the abandoned transaction.
    await served.handle.db
      .insert(repositories)
      .values({ forge: 'github', owner: 'in', name: 'kept' });
    const rows = await served.handle.db.select({ name: repositories.name }).from(repositories);
    expect(rows).toEqual([{ name: 'kept' }]);
  });
});
