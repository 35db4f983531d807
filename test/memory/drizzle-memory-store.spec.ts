import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/create-database.js';
import { repositories } from '../../src/db/schema.js';
import { DrizzleMemoryStore, queryWords } from '../../src/memory/drizzle-memory-store.js';
import { describeOnMemoryDatabases } from './memory-databases.js';

/** A vector of `width` with 1 on `axis` and `tilt` on the next axis. */
export function axis(width: number, at: number, tilt = 0): number[] {
  const v = new Array<number>(width).fill(0);
  v[at] = 1;
  v[(at + 1) % width] = tilt;
  return v;
}

describeOnMemoryDatabases('DrizzleMemoryStore', (open) => {
  let handle: DatabaseHandle;
  let store: DrizzleMemoryStore;
  let n = 0;
  /** A repository of its own for each test (one database serves the whole suite). */
  const repo = async (): Promise<number> => {
    n += 1;
    const [row] = await handle.db
      .insert(repositories)
      .values({ forge: 'github', owner: 'o', name: `r${n}` })
      .returning();
    return row?.id ?? 0;
  };
  /** EXPLAIN of a statement, one string. */
  const explain = async (statement: string): Promise<string> => {
    const res = await handle.db.execute<Record<string, string>>(sql.raw(`explain ${statement}`));
    return res.rows.map((r) => Object.values(r).join(' ')).join('\n');
  };

  beforeAll(async () => {
    handle = await open();
    store = new DrizzleMemoryStore({ db: handle.db });
  });
  afterAll(() => handle?.close());

  it('writes a memory once per (kind, ref): the same content again is no write, new content drops the vector', async () => {
    const id = await repo();
    const first = await store.upsert([
      { repositoryId: id, kind: 'spec', ref: 'issue#1', content: 'CSV export of invoices' },
    ]);
    expect(first).toEqual([
      expect.objectContaining({ ref: 'issue#1', created: true, embedded: false }),
    ]);
    const memoryId = first[0]?.id ?? 0;
    await store.setEmbeddings(id, [{ id: memoryId, vector: axis(4, 0) }]);

    expect(
      await store.upsert([
        { repositoryId: id, kind: 'spec', ref: 'issue#1', content: 'CSV export of invoices' },
      ]),
    ).toEqual([]);
    // Metadata only: written, vector kept.
    expect(
      await store.upsert([
        {
          repositoryId: id,
          kind: 'spec',
          ref: 'issue#1',
          content: 'CSV export of invoices',
          metadata: { sha: 'abc' },
        },
      ]),
    ).toEqual([{ id: memoryId, kind: 'spec', ref: 'issue#1', created: false, embedded: true }]);
    expect(await store.countUnembedded(id)).toBe(0);
    // New content: same row, vector dropped.
    expect(
      await store.upsert([
        { repositoryId: id, kind: 'spec', ref: 'issue#1', content: 'CSV and JSON export' },
      ]),
    ).toEqual([{ id: memoryId, kind: 'spec', ref: 'issue#1', created: false, embedded: false }]);
    expect(await store.unembedded(id, 10)).toEqual([
      { id: memoryId, content: 'CSV and JSON export' },
    ]);
    // Another kind with the same ref is another memory; a batch naming one memory twice keeps the last.
    const more = await store.upsert([
      { repositoryId: id, kind: 'plan', ref: 'issue#1', content: 'first' },
      { repositoryId: id, kind: 'plan', ref: 'issue#1', content: 'second' },
    ]);
    expect(more).toHaveLength(1);
    expect(await store.countByKind(id)).toEqual({ spec: 1, plan: 1 });
  });

  it('stores text PostgreSQL would refuse (NUL, a cut surrogate pair) as U+FFFD', async () => {
    const id = await repo();
    const [w] = await store.upsert([
      {
        repositoryId: id,
        kind: 'diagnosis',
        ref: 'issue#2/run/t1',
        content: 'out\u0000put \ud83d',
      },
    ]);
    expect(await store.unembedded(id, 1)).toEqual([{ id: w?.id, content: 'out\uFFFDput \uFFFD' }]);
  });

  it('skips a vector whose memory changed after it was read', async () => {
    const id = await repo();
    const [w] = await store.upsert([{ repositoryId: id, kind: 'fact', ref: 'f', content: 'old' }]);
    await store.upsert([{ repositoryId: id, kind: 'fact', ref: 'f', content: 'new' }]);
    await store.setEmbeddings(id, [{ id: w?.id ?? 0, vector: axis(4, 1), content: 'old' }]);
    expect(await store.countUnembedded(id)).toBe(1);
  });

  it('finds by full text any word of a long query, stemmed, filtered by kind and time, in one repository', async () => {
    const id = await repo();
    const other = await repo();
    await store.upsert([
      {
        repositoryId: id,
        kind: 'review',
        ref: 'pr#4/review/1',
        content: 'Reviewers asked for smaller migrations',
      },
      {
        repositoryId: id,
        kind: 'spec',
        ref: 'issue#5',
        content: 'The migration runner takes a lock',
      },
      { repositoryId: id, kind: 'spec', ref: 'issue#6', content: 'Dark mode for the dashboard' },
      { repositoryId: other, kind: 'spec', ref: 'issue#1', content: 'migrations elsewhere' },
    ]);
    const query = 'Please split the database migration into parts; the reviewers said so';
    const all = await store.searchText({ repositoryId: id }, query, 10);
    expect(all.map((m) => m.ref).sort()).toEqual(['issue#5', 'pr#4/review/1']);
    // Two matching words rank above one.
    expect(all[0]?.ref).toBe('pr#4/review/1');
    expect(all[0]?.score).toBeGreaterThan(all[1]?.score ?? 0);
    expect(
      (await store.searchText({ repositoryId: id, kinds: ['spec'] }, query, 10)).map((m) => m.ref),
    ).toEqual(['issue#5']);
    expect(
      await store.searchText({ repositoryId: id, since: new Date(Date.now() + 60_000) }, query, 10),
    ).toEqual([]);
    expect(await store.searchText({ repositoryId: id }, 'the and of', 10)).toEqual([]);
    expect(await store.searchText({ repositoryId: id }, '  ', 10)).toEqual([]);
  });

  it('finds the nearest vectors of the query width through that width’s partial HNSW index', async () => {
    const id = await repo();
    const rows = await store.upsert(
      ['a', 'b', 'c', 'd'].map((ref) => ({
        repositoryId: id,
        kind: ref === 'd' ? ('code' as const) : ('spec' as const),
        ref,
        content: ref,
      })),
    );
    const [a, b, c, d] = rows.map((r) => r.id);
    expect(await store.ensureVectorIndex(4)).toBe(true);
    await store.setEmbeddings(id, [
      { id: a ?? 0, vector: axis(4, 0) },
      { id: b ?? 0, vector: axis(4, 1) },
      { id: d ?? 0, vector: axis(4, 2, 0.1) },
    ]);
    // A vector of another width in the same column: never compared with the 4-wide ones.
    await store.setEmbeddings(id, [{ id: c ?? 0, vector: axis(768, 2) }]);

    const near = await store.searchVector({ repositoryId: id }, [0, 0.3, 1, 0.2], 10);
    expect(near.map((m) => m.ref)).toEqual(['d', 'b', 'a']);
    expect(near[0]?.score).toBeGreaterThan(0.9);
    const specs = await store.searchVector({ repositoryId: id, kinds: ['spec'] }, axis(4, 2), 10);
    expect(specs.map((m) => m.ref).sort()).toEqual(['a', 'b']);
    expect(
      (await store.searchVector({ repositoryId: id }, axis(768, 2), 10)).map((m) => m.ref),
    ).toEqual(['c']);

    await handle.db.execute(sql`set enable_seqscan = off`);
    try {
      const q = JSON.stringify(axis(4, 2));
      expect(
        await explain(
          `select id from memories where dimensions = 4 order by embedding::vector(4) <=> '${q}'::vector(4) limit 3`,
        ),
      ).toContain('memories_embedding_4');
    } finally {
      await handle.db.execute(sql`set enable_seqscan = on`);
    }
    // Wider than pgvector's HNSW limit: no index, exact search still works.
    expect(await store.ensureVectorIndex(3_072)).toBe(false);
  });

  it('claims one embedding model per repository until it is reset', async () => {
    const id = await repo();
    expect(await store.state(id)).toBeNull();
    expect(await store.claimEmbeddingModel(id, 'ollama:nomic-embed-text', 768)).toMatchObject({
      embeddingModel: 'ollama:nomic-embed-text',
      dimensions: 768,
    });
    expect(
      await store.claimEmbeddingModel(id, 'openai:text-embedding-3-small', 1536),
    ).toMatchObject({
      embeddingModel: 'ollama:nomic-embed-text',
      dimensions: 768,
    });
    await store.noteEmbeddingAlias(id, 'nomic');
    const [w] = await store.upsert([{ repositoryId: id, kind: 'fact', ref: 'f', content: 'x' }]);
    await store.setEmbeddings(id, [{ id: w?.id ?? 0, vector: axis(768, 3) }]);
    expect(
      await store.resetEmbeddings(id, { model: 'openai:text-embedding-3-small', dimensions: 1536 }),
    ).toBe(1);
    expect(await store.state(id)).toMatchObject({
      embeddingModel: 'openai:text-embedding-3-small',
      dimensions: 1536,
      embeddingAlias: 'nomic',
    });
    expect(await store.countUnembedded(id)).toBe(1);
  });

  it('forgets by kind, by ref, by code path, or everything (and then any model may claim the repository)', async () => {
    const id = await repo();
    const other = await repo();
    await store.upsert([
      { repositoryId: id, kind: 'spec', ref: 'issue#1', content: 'a' },
      { repositoryId: id, kind: 'decision', ref: 'issue#1', content: 'b' },
      { repositoryId: id, kind: 'review', ref: 'pr#2/review/3', content: 'c' },
      {
        repositoryId: id,
        kind: 'code',
        ref: 'src/a.ts#f',
        content: 'd',
        metadata: { path: 'src/a.ts' },
      },
      {
        repositoryId: id,
        kind: 'code',
        ref: 'src/b.ts#g',
        content: 'e',
        metadata: { path: 'src/b.ts' },
      },
      { repositoryId: other, kind: 'spec', ref: 'issue#1', content: 'kept' },
    ]);
    await store.claimEmbeddingModel(id, 'm', 4);
    expect(await store.forget(id, { ref: 'issue#1' })).toBe(2);
    expect(await store.forget(id, { kinds: ['review'] })).toBe(1);
    expect(await store.forget(id, { codePaths: ['src/a.ts'] })).toBe(1);
    expect(await store.countByKind(id)).toEqual({ code: 1 });
    expect(await store.forget(id, { all: true })).toBe(1);
    expect(await store.countByKind(id)).toEqual({});
    expect((await store.state(id))?.embeddingModel).toBeNull();
    expect(await store.countByKind(other)).toEqual({ spec: 1 });
  });

  it('replaces the code memories of changed and removed files, and reads back each file’s hash', async () => {
    const id = await repo();
    const chunk = (path: string, symbol: string, hash: string) => ({
      repositoryId: id,
      kind: 'code' as const,
      ref: `${path}#${symbol}`,
      content: `function ${symbol}() {}`,
      metadata: { path, symbol, fileHash: hash },
    });
    expect(
      await store.replaceCode(
        id,
        [],
        [chunk('a.ts', 'f', 'h1'), chunk('a.ts', 'g', 'h1'), chunk('b.ts', 'h', 'h2')],
      ),
    ).toEqual({ removed: 0, written: 3 });
    expect(Object.fromEntries(await store.codeFileHashes(id))).toEqual({
      'a.ts': 'h1',
      'b.ts': 'h2',
    });
    // a.ts changed (one symbol left), b.ts removed.
    expect(await store.replaceCode(id, ['a.ts', 'b.ts'], [chunk('a.ts', 'f', 'h3')])).toEqual({
      removed: 3,
      written: 1,
    });
    expect(Object.fromEntries(await store.codeFileHashes(id))).toEqual({ 'a.ts': 'h3' });
    await store.setCodeCommit(id, 'main', 'abc123');
    expect(await store.state(id)).toMatchObject({ codeBranch: 'main', codeCommit: 'abc123' });
  });
});

describe('queryWords', () => {
  it('keeps the first 64 distinct words, lower-cased, letters and digits of any script', () => {
    expect(queryWords('Fix the Parser; fix ÄÖ_ü 42 — parser!')).toBe('fix the parser äö_ü 42');
    const many = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    expect(queryWords(many).split(' ')).toHaveLength(64);
  });
});
