import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desc, eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/create-database.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';
import { findMigrationsFolder } from '../../src/db/migrations-folder.js';
import { EMBEDDING_DIMENSIONS, memories, repositories } from '../../src/db/schema.js';
import { ConfigError, MigrationError } from '../../src/errors/index.js';
import type { Database } from '../helpers/database.js';
import { describeOnDatabases } from '../helpers/database-backends.js';
import { SHIPPED_MIGRATIONS } from '../helpers/shipped-migrations.js';

const ALL = [...SHIPPED_MIGRATIONS];

/** A unit vector along `axis` (optionally tilted toward `axis + 1`). */
function unit(axis: number, tilt = 0): number[] {
  const v = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
  v[axis] = 1;
  v[axis + 1] = tilt;
  return v;
}

describeOnDatabases('migrateDatabase', (backend) => {
  const open: DatabaseHandle[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
  });

  it('applies every migration on a fresh database, then nothing on the second run', async () => {
    const handle = await backend.createEmpty();
    open.push(handle);
    expect(handle.kind).toBe(backend.kind);
    expect(await migrateDatabase(handle)).toEqual({ applied: ALL, total: ALL.length });
    expect(await migrateDatabase(handle)).toEqual({ applied: [], total: ALL.length });
    const [row] = await handle.db
      .insert(repositories)
      .values({ forge: 'github', owner: 'o', name: 'r' })
      .returning();
    expect(row?.id).toBe(1);
  });

  it('wraps a failing migration in MigrationError and applies none of the batch', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'tandem-migrations-'));
    try {
      await cp(findMigrationsFolder(), folder, { recursive: true });
      const journalPath = join(folder, 'meta', '_journal.json');
      const journal = JSON.parse(await readFile(journalPath, 'utf8'));
      journal.entries.push({
        idx: 2,
        version: '7',
        when: Date.now(),
        tag: '0002_broken',
        breakpoints: true,
      });
      await writeFile(journalPath, JSON.stringify(journal));
      await writeFile(join(folder, '0002_broken.sql'), 'CREATE TABLE broken (id nonsense_type);');

      const handle = await backend.createEmpty();
      open.push(handle);
      const err = await migrateDatabase(handle, { migrationsFolder: folder }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MigrationError);
      expect((err as MigrationError).code).toBe('migration_failed');
      expect((err as Error).message).toContain('nonsense_type');
      // Pending migrations run in one transaction: the good ones before the broken one are rolled back too.
      const tables = await handle.db.execute(sql`select to_regclass('public.repositories') as t`);
      expect(tables.rows).toEqual([{ t: null }]);
      // The shipped migrations still apply afterwards.
      expect((await migrateDatabase(handle)).applied).toEqual(ALL);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('migrateDatabase on PGlite', () => {
  const open: DatabaseHandle[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
  });

  it('persists in the data directory across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tandem-db-'));
    try {
      const first = await createDatabase({ dataDir });
      expect(first.kind === 'pglite' && first.dataDir).toBe(join(dataDir, 'pglite'));
      await migrateDatabase(first);
      await first.db.insert(repositories).values({ forge: 'gitea', owner: 'o', name: 'kept' });
      await first.close();

      const second = await createDatabase({ dataDir });
      open.push(second);
      expect((await migrateDatabase(second)).applied).toEqual([]);
      const rows = await second.db.select().from(repositories);
      expect(rows.map((r) => r.name)).toEqual(['kept']);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('rejects contradictory options with a ConfigError that does not echo the URL', async () => {
    const url = 'postgres://tandem:s3cr3t-pass@db.internal/tandem';
    const err = await createDatabase({ inMemory: true, databaseUrl: url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('config_invalid');
    expect(String((err as Error).message)).not.toContain('s3cr3t');
    const bad = await createDatabase({ databaseUrl: 'mysql://x' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigError);
  });

  it('reports a missing migrations folder as MigrationError', async () => {
    const handle = await createDatabase({ inMemory: true });
    open.push(handle);
    const err = await migrateDatabase(handle, { migrationsFolder: '/nonexistent' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MigrationError);
  });
});

describe('findMigrationsFolder', () => {
  it('finds the package migrations from src/db (tsx) and from dist/src/db (build)', () => {
    const root = join(findMigrationsFolder(), '..');
    expect(findMigrationsFolder(join(root, 'src', 'db'))).toBe(join(root, 'migrations'));
    expect(findMigrationsFolder(join(root, 'dist', 'src', 'db'))).toBe(join(root, 'migrations'));
    expect(() => findMigrationsFolder('/')).toThrow(MigrationError);
  });
});

/** Inserts a repository row and returns its id (memories belong to one). */
async function aRepository(db: Database): Promise<number> {
  const [row] = await db
    .insert(repositories)
    .values({ forge: 'github', owner: 'o', name: 'r' })
    .returning();
  return row?.id ?? 0;
}

describeOnDatabases('schema features on a migrated database', (backend) => {
  it('finds the nearest memory by cosine distance through the HNSW index', async () => {
    const t = await backend.create();
    try {
      const repositoryId = await aRepository(t.db);
      const dimensions = EMBEDDING_DIMENSIONS;
      await t.db.insert(memories).values([
        {
          repositoryId,
          kind: 'spec',
          ref: 'issue#1',
          content: 'login page',
          embedding: unit(0),
          dimensions,
        },
        {
          repositoryId,
          kind: 'spec',
          ref: 'issue#2',
          content: 'billing export',
          embedding: unit(10),
          dimensions,
        },
        {
          repositoryId,
          kind: 'decision',
          ref: 'issue#3',
          content: 'use postgres',
          embedding: unit(20),
          dimensions,
        },
      ]);
      const query = unit(10, 0.2);
      const width = sql.raw(String(dimensions));
      const distance = sql<number>`${memories.embedding}::vector(${width}) <=> ${JSON.stringify(query)}::vector(${width})`;
      const nearest = await t.db
        .select({ ref: memories.ref, distance })
        .from(memories)
        .where(sql`${memories.dimensions} = ${width}`)
        .orderBy(distance)
        .limit(1);
      expect(nearest[0]?.ref).toBe('issue#2');
      expect(Number(nearest[0]?.distance)).toBeLessThan(0.05);

      // The planner can use the partial HNSW index of this width for the ordered scan (one connection: a transaction).
      const plan = await t.db.transaction(async (tx) => {
        await tx.execute(sql`set local enable_seqscan = off`);
        return tx.execute<{ 'QUERY PLAN': string }>(
          sql.raw(
            `explain select id from memories where dimensions = ${dimensions} order by embedding::vector(${dimensions}) <=> '${JSON.stringify(query)}'::vector(${dimensions}) limit 1`,
          ),
        );
      });
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain(
        `memories_embedding_${dimensions}`,
      );
    } finally {
      await t.close();
    }
  });

  it('matches a word (any inflection) through the generated full-text search column', async () => {
    const t = await backend.create();
    try {
      const repositoryId = await aRepository(t.db);
      await t.db.insert(memories).values([
        {
          repositoryId,
          kind: 'review',
          ref: 'pr#4',
          content: 'Reviewers asked for smaller migrations',
        },
        { repositoryId, kind: 'review', ref: 'pr#5', content: 'Rename the webhook handler' },
      ]);
      const hits = await t.db
        .select({ ref: memories.ref })
        .from(memories)
        .where(sql`${memories.search} @@ plainto_tsquery('english', ${'migration'})`)
        .orderBy(desc(memories.id));
      expect(hits).toEqual([{ ref: 'pr#4' }]);
    } finally {
      await t.close();
    }
  });

  it('gives every test database its own rows', async () => {
    const a = await backend.create();
    const b = await backend.create();
    try {
      await a.db.insert(repositories).values({ forge: 'github', owner: 'a', name: 'only-in-a' });
      expect(await b.db.select().from(repositories)).toEqual([]);
      expect(
        await a.db.select().from(repositories).where(eq(repositories.name, 'only-in-a')),
      ).toHaveLength(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
