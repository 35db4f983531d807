/**
 * Embeddings from a real model: the tiny GGUF (random weights, 64-wide) through node-llama-cpp's embedding
 * context, the memory's embedder over the real ModelManager, and ProjectMemory on PGlite. The vectors mean
 * nothing, but they are the model's own: deterministic per text, different between texts, 64 wide.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositories } from '../../src/db/schema.js';
import { EmbeddingMismatchError, ModelCallError } from '../../src/errors/index.js';
import { parseModelCatalog, type ModelCatalog } from '../../src/llm/catalog.js';
import { MemoryModelCallRecorder } from '../../src/llm/model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { DrizzleMemoryStore } from '../../src/memory/drizzle-memory-store.js';
import { managerEmbedders } from '../../src/memory/embedder.js';
import { ProjectMemory } from '../../src/memory/project-memory.js';
import { createTestDatabase, type PgliteDatabaseHandle } from '../helpers/database.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';
import { capturedLogger } from './fixed-embedder.js';

const cosine = (a: readonly number[], b: readonly number[]): number => {
  const dot = a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
  const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return dot / (norm(a) * norm(b));
};

describe('embeddings from the tiny GGUF (real node-llama-cpp)', () => {
  let dir: string;
  let catalog: ModelCatalog;
  let manager: ModelManager;
  let recorder: MemoryModelCallRecorder;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-embed-'));
    const gguf = await writeTinyGguf(join(dir, 'tiny.gguf'));
    const entry = { provider: 'llama-cpp', model: gguf.path, contextSize: 512, threads: 1 };
    catalog = parseModelCatalog(
      JSON.stringify({
        modelsDir: dir,
        models: {
          'tiny-embed': { ...entry, kind: 'embedding', dimensions: 64 },
          'tiny-wrong': { ...entry, kind: 'embedding', dimensions: 32 },
          'tiny-chat': entry,
        },
      }),
      {},
    );
    recorder = new MemoryModelCallRecorder();
    manager = new ModelManager({ catalog, recorder });
  });
  afterAll(async () => {
    await manager.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives each text the model’s own 64-wide vector: the same text the same vector, other texts others', async () => {
    const embed = managerEmbedders(manager)('tiny-embed');
    const [a, b, again] = await embed.embed(
      ['parse a CSV row', 'render the dashboard', 'parse a CSV row'],
      { repositoryId: 3 },
    );
    expect(a).toHaveLength(64);
    expect(again).toEqual(a);
    expect(cosine(a!, b!)).toBeLessThan(0.999);
    expect(a!.every(Number.isFinite)).toBe(true);
    expect(recorder.rows.at(-1)).toMatchObject({
      alias: 'tiny-embed',
      provider: 'llama-cpp',
      role: 'embedding',
      repositoryId: 3,
      outcome: 'ok',
    });
    expect(recorder.rows.at(-1)!.inputTokens).toBeGreaterThan(10);
  });

  it('cuts a text longer than the context instead of failing, as Ollama’s truncate does', async () => {
    const embed = managerEmbedders(manager)('tiny-embed');
    // The embedder sends at most 2 characters per context token (1 024); each é is two byte tokens here,
    // so the provider gets 2 048 tokens for a context of 512 and must cut them.
    const [v] = await embed.embed(['é'.repeat(5_000)]);
    expect(v).toHaveLength(64);
  });

  it('refuses a catalog that gives the model another width, and mixes no chat with embedding', async () => {
    const wrong = await managerEmbedders(manager)('tiny-wrong')
      .embed(['x'])
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(EmbeddingMismatchError);
    expect((wrong as Error).message).toContain('returned vectors of 64 dimensions');
    expect((wrong as Error).message).toContain('dimensions: 32');

    const chat = await manager.provider('tiny-chat');
    await expect(chat.embed!(['x'])).rejects.toThrow(ModelCallError);
    const embedding = await manager.provider('tiny-embed');
    await expect(
      embedding.complete({ messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toThrow(/cannot chat/);
  });

  describe('with project memory on PGlite', () => {
    let db: PgliteDatabaseHandle;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(() => db?.close());

    it('stores the vectors (64 wide, under their own index) and ranks the memory whose text is the query first by vector', async () => {
      const [repo] = await db.db
        .insert(repositories)
        .values({ forge: 'github', owner: 'o', name: 'tiny' })
        .returning();
      const repositoryId = repo!.id;
      const memory = new ProjectMemory({
        store: new DrizzleMemoryStore({ db: db.db }),
        embedders: managerEmbedders(manager),
        logger: capturedLogger().logger,
      });
      const scope = { repositoryId, enabled: true, embeddingAlias: 'tiny-embed' };
      const texts = [
        'The exporter writes a header line first',
        'Reviewers asked to stream large files',
        'Setup command: npm ci',
      ];
      const report = await memory.remember(
        scope,
        texts.map((content, i) => ({ kind: 'fact' as const, ref: `fact/${i}`, content })),
      );
      expect(report).toEqual({ written: 3, embedded: 3, enabled: true });
      const widths = await db.pglite.query<{ dimensions: number; n: number }>(
        'select dimensions, count(*)::int as n from memories group by dimensions',
      );
      expect(widths.rows).toEqual([{ dimensions: 64, n: 3 }]);
      const index = await db.pglite.query<{ indexname: string }>(
        "select indexname from pg_indexes where tablename = 'memories' and indexname = 'memories_embedding_64'",
      );
      expect(index.rows).toHaveLength(1);

      const found = await memory.search(scope, { query: texts[1]!, limit: 3, strict: true });
      expect(found.mode).toBe('hybrid');
      expect(found.hits[0]?.ref).toBe('fact/1');
      expect(found.hits[0]?.ranks.vector).toBe(1);
    });
  });
});
