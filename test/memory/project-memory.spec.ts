import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/create-database.js';
import { repositories } from '../../src/db/schema.js';
import { EmbeddingMismatchError } from '../../src/errors/index.js';
import { DrizzleMemoryStore } from '../../src/memory/drizzle-memory-store.js';
import type { EmbedderFor } from '../../src/memory/embedder.js';
import { ProjectMemory, type MemoryScope } from '../../src/memory/project-memory.js';
import { capturedLogger, FixedEmbedder } from './fixed-embedder.js';
import { describeOnMemoryDatabases } from './memory-databases.js';

/**
 * The fusion fixture. The query shares all its words with T1 and T2 (whose vectors point elsewhere), and
 * its direction with V1 and V2 (which share none of its words). F is third in both lists: full text alone
 * (top 2: T1, T2) and vectors alone (top 2: V1, V2) both miss it; fused, it comes first, since
 * 1/(60+3) + 1/(60+3) > 1/(60+1). Thirty notes near the query's direction but without its words keep T1
 * and T2 out of the vector candidates, as a real repository's many memories would.
 */
const QUERY = 'flaky login test timeout';
const FIXTURE: Record<string, { content: string; vector: number[] }> = {
  T1: { content: 'The login test is flaky: it hits the timeout', vector: [0, 0, 0, 1] },
  T2: { content: 'Flaky timeout in the login test again', vector: [0, 0, 1, 0] },
  V1: { content: 'Authentication checks were unstable on CI', vector: [1, 0.05, 0, 0] },
  V2: { content: 'Sign-in suite intermittently fails', vector: [1, 0.1, 0, 0] },
  F: { content: 'The login suite was unstable', vector: [1, 0.3, 0, 0] },
};
for (let k = 0; k < 30; k += 1) {
  FIXTURE[`D${k}`] = { content: `Unrelated billing note ${k}`, vector: [1, 0.5 + k * 0.01, 0, 0] };
}
const FIXTURE_SIZE = Object.keys(FIXTURE).length;
const vectors = {
  [QUERY]: [1, 0, 0, 0],
  ...Object.fromEntries(Object.values(FIXTURE).map((f) => [f.content, f.vector])),
};

describeOnMemoryDatabases('ProjectMemory', (open) => {
  let handle: DatabaseHandle;
  let store: DrizzleMemoryStore;
  let n = 0;
  const fixed = new FixedEmbedder('fixed', 'test:fixed-4', vectors, () => [0, 1, 1, 0]);
  /** Another model: 8 dimensions. */
  const wide = new FixedEmbedder('wide', 'test:wide-8', {}, (t) => [
    t.length % 7,
    1,
    0,
    0,
    0,
    0,
    0,
    1,
  ]);
  const embedders: EmbedderFor = (alias) => {
    const e = { fixed, wide }[alias];
    if (!e) {
      throw new Error(`no embedder ${alias}`);
    }
    return e;
  };
  const newRepo = async (): Promise<number> => {
    n += 1;
    const [row] = await handle.db
      .insert(repositories)
      .values({ forge: 'gitea', owner: 'o', name: `pm${n}` })
      .returning();
    return row?.id ?? 0;
  };
  const scope = (repositoryId: number, embeddingAlias?: string): MemoryScope => ({
    repositoryId,
    enabled: true,
    ...(embeddingAlias ? { embeddingAlias } : {}),
  });
  const fixture = (id: number, memory: ProjectMemory) =>
    memory.remember(
      scope(id, 'fixed'),
      Object.entries(FIXTURE).map(([ref, f]) => ({
        kind: 'review' as const,
        ref,
        content: f.content,
      })),
    );

  beforeAll(async () => {
    handle = await open();
    store = new DrizzleMemoryStore({ db: handle.db });
  });
  afterAll(() => handle?.close());

  it('finds by fusion what full text alone and vectors alone each miss', async () => {
    const { logger } = capturedLogger();
    const memory = new ProjectMemory({ store, embedders, logger });
    const id = await newRepo();
    expect(await fixture(id, memory)).toEqual({
      written: FIXTURE_SIZE,
      embedded: FIXTURE_SIZE,
      enabled: true,
    });

    const textOnly = await memory.search(scope(id), { query: QUERY, limit: 2 });
    expect(textOnly.mode).toBe('text');
    expect(textOnly.hits.map((h) => h.ref).sort()).toEqual(['T1', 'T2']);
    const vectorOnly = await store.searchVector({ repositoryId: id }, [1, 0, 0, 0], 2);
    expect(vectorOnly.map((h) => h.ref)).toEqual(['V1', 'V2']);

    const fused = await memory.search(scope(id, 'fixed'), { query: QUERY, limit: 2 });
    expect(fused.mode).toBe('hybrid');
    expect(fused.hits[0]?.ref).toBe('F');
    expect(fused.hits[0]?.ranks).toEqual({ text: 3, vector: 3 });
    expect(fused.hits[0]?.score).toBeCloseTo(2 / 63);
  });

  it('filters by kind and recency, never shows another repository, and cuts to the token budget', async () => {
    const memory = new ProjectMemory({ store, embedders, logger: capturedLogger().logger });
    const id = await newRepo();
    const other = await newRepo();
    await fixture(id, memory);
    await fixture(other, memory);
    await memory.remember(scope(id, 'fixed'), [
      { kind: 'spec', ref: 'issue#9', content: `Login page spec. ${'More words. '.repeat(200)}` },
    ]);
    const specs = await memory.search(scope(id, 'fixed'), { query: QUERY, kinds: ['spec'] });
    expect(specs.hits.map((h) => [h.ref, h.repositoryId])).toEqual([['issue#9', id]]);
    const all = await memory.search(scope(id, 'fixed'), { query: QUERY, limit: 10 });
    expect(all.hits).toHaveLength(10);
    expect(new Set(all.hits.map((h) => h.repositoryId))).toEqual(new Set([id]));
    expect(
      (
        await memory.search(scope(id, 'fixed'), {
          query: QUERY,
          since: new Date(Date.now() + 60_000),
        })
      ).hits,
    ).toEqual([]);

    const budgeted = await memory.search(scope(id, 'fixed'), {
      query: QUERY,
      limit: 10,
      budgetTokens: 120,
    });
    const tokens = budgeted.hits.reduce((t, h) => t + Math.ceil(h.content.length / 3) + 16, 0);
    expect(tokens).toBeLessThanOrEqual(120);
    expect(budgeted.hits.length).toBeGreaterThan(0);
    expect(budgeted.hits.length).toBeLessThan(10);
    expect(budgeted.hits.map((h) => h.ref)).toEqual(
      all.hits.slice(0, budgeted.hits.length).map((h) => h.ref),
    );
  });

  it('refuses to compare vectors of two models: names both widths and the fix; falls back to full text for the agents', async () => {
    const { logger, lines } = capturedLogger();
    const memory = new ProjectMemory({ store, embedders, logger });
    const id = await newRepo();
    await fixture(id, memory);

    const err = await memory
      .search(scope(id, 'wide'), { query: QUERY, strict: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddingMismatchError);
    expect((err as Error).message).toBe(
      `the memories of repository ${id} are embedded by test:fixed-4 (4 dimensions), but its embedding ` +
        'alias "wide" is test:wide-8 (8 dimensions): run `tandem memory reembed <owner/repo>` to embed ' +
        'them again with "wide"',
    );
    const lenient = await memory.search(scope(id, 'wide'), { query: QUERY });
    expect(lenient.mode).toBe('text');
    expect(lenient.note).toContain('4 dimensions');
    expect(lenient.hits.length).toBeGreaterThan(0);

    // A write under the new alias keeps its text, leaves the vector for later, and says why once.
    const before = wide.calls;
    const first = await memory.remember(scope(id, 'wide'), [
      { kind: 'fact', ref: 'fact/a', content: 'a' },
    ]);
    const second = await memory.remember(scope(id, 'wide'), [
      { kind: 'fact', ref: 'fact/b', content: 'b' },
    ]);
    expect([first.written, first.embedded, second.written]).toEqual([1, 0, 1]);
    expect(first.problem).toContain('tandem memory reembed');
    expect(wide.calls).toBe(before);
    expect(lines().filter((l) => l.code === 'embedding_mismatch')).toHaveLength(1);

    // Re-embedding with the new alias: every vector replaced, hybrid search again.
    const progress: [number, number][] = [];
    const report = await memory.reembed(id, 'wide', {
      onProgress: (d, t) => progress.push([d, t]),
    });
    expect(report).toEqual({
      alias: 'wide',
      model: 'test:wide-8',
      dimensions: 8,
      reset: FIXTURE_SIZE + 2,
      embedded: FIXTURE_SIZE + 2,
    });
    expect(progress.at(-1)).toEqual([FIXTURE_SIZE + 2, FIXTURE_SIZE + 2]);
    expect(await store.state(id)).toMatchObject({
      embeddingModel: 'test:wide-8',
      dimensions: 8,
      embeddingAlias: 'wide',
    });
    expect((await memory.search(scope(id, 'wide'), { query: QUERY, strict: true })).mode).toBe(
      'hybrid',
    );
    // The 8-wide vectors got their own index.
    expect(await store.ensureVectorIndex(8)).toBe(true);
  });

  it('keeps the text when the embedding model is down, logs it once, and embeds the backlog when it is back', async () => {
    const { logger, lines } = capturedLogger();
    const down = new FixedEmbedder('fixed', 'test:fixed-4', vectors, () => [0, 1, 1, 0]);
    const memory = new ProjectMemory({ store, embedders: () => down, logger });
    const id = await newRepo();
    down.fail = true;
    const a = await memory.remember(scope(id, 'fixed'), [
      { kind: 'fact', ref: 'fact/x', content: 'x' },
    ]);
    const b = await memory.remember(scope(id, 'fixed'), [
      { kind: 'fact', ref: 'fact/y', content: 'y' },
    ]);
    expect([a.written, a.embedded, b.written, b.embedded]).toEqual([1, 0, 1, 0]);
    expect(a.problem).toContain('ECONNREFUSED');
    expect(lines().filter((l) => l.code === 'model_call_failed')).toHaveLength(1);
    expect(await store.countUnembedded(id)).toBe(2);
    // Search still answers, by full text.
    expect((await memory.search(scope(id, 'fixed'), { query: 'x y' })).mode).toBe('text');

    down.fail = false;
    const c = await memory.remember(scope(id, 'fixed'), [
      { kind: 'fact', ref: 'fact/z', content: 'z' },
    ]);
    expect(c).toEqual({ written: 1, embedded: 3, enabled: true });
    expect(await store.countUnembedded(id)).toBe(0);
  });

  it('says once that search is full text only without an embedding alias; writes nothing when memory is off', async () => {
    const { logger, lines } = capturedLogger();
    const memory = new ProjectMemory({ store, logger });
    const id = await newRepo();
    await memory.remember(scope(id), [
      { kind: 'fact', ref: 'fact/t', content: 'npm test runs vitest' },
    ]);
    expect((await memory.search(scope(id), { query: 'vitest' })).hits.map((h) => h.ref)).toEqual([
      'fact/t',
    ]);
    await memory.search(scope(id), { query: 'npm' });
    expect(lines().filter((l) => String(l.msg).includes('full-text search only'))).toHaveLength(1);

    const off: MemoryScope = { repositoryId: id, enabled: false };
    expect(await memory.remember(off, [{ kind: 'fact', ref: 'fact/u', content: 'u' }])).toEqual({
      written: 0,
      embedded: 0,
      enabled: false,
    });
    expect(await memory.search(off, { query: 'vitest' })).toEqual({ hits: [], mode: 'off' });
    expect(await store.countByKind(id)).toEqual({ fact: 1 });
  });

  it('forgets through the service and lists a ticket’s own memories newest first', async () => {
    const memory = new ProjectMemory({ store, logger: capturedLogger().logger });
    const id = await newRepo();
    await memory.remember(scope(id), [
      { kind: 'diagnosis', ref: 'issue#14/run/t1', content: 'blocked: suite red' },
      { kind: 'review', ref: 'issue#14/review/3', content: 'use a stream' },
      { kind: 'diagnosis', ref: 'issue#140/run/t9', content: 'another ticket' },
    ]);
    await memory.remember(scope(id), [
      { kind: 'diagnosis', ref: 'issue#14/run/t1', content: 'blocked again' },
    ]);
    const mine = await memory.recent(scope(id), { refPrefix: 'issue#14/' });
    expect(mine.map((h) => [h.ref, h.content])).toEqual([
      ['issue#14/run/t1', 'blocked again'],
      ['issue#14/review/3', 'use a stream'],
    ]);
    expect(await memory.forget(id, { ref: 'issue#14/run/t1' })).toBe(1);
    expect((await memory.recent(scope(id), { refPrefix: 'issue#14/' })).map((h) => h.ref)).toEqual([
      'issue#14/review/3',
    ]);
  });
});
