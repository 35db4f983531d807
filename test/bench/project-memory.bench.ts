/**
 * Project memory figures (`npm run bench -- project-memory`):
 * - retrieval p95/p50 of `ProjectMemory.search` (hybrid: full text + HNSW vector search, fused) at each
 *   size of `TANDEM_BENCH_MEMORY_SIZES` (default `10000,100000`) on PGlite and, when
 *   `TANDEM_TEST_POSTGRES_URL` names one, on a PostgreSQL server; `TANDEM_BENCH_MEMORY_PGLITE_MAX` caps the
 *   PGlite sizes (default 100000);
 * - the table's and the HNSW index's size per 1,000 memories;
 * - embedding throughput of the tiny GGUF (64 wide, random weights) through node-llama-cpp.
 *
 * Memories are generated inside the database (`generate_series`): 40 words from a 2,000-word vocabulary
 * and a random unit-free vector of `TANDEM_BENCH_MEMORY_DIMENSIONS` (default 768, the indexed width) per
 * row, inserted in batches with the HNSW index dropped and then built again in one pass (its own definition,
 * read from the catalog): row by row, as the workflow adds memories, PGlite fills at about 20 ms per memory
 * and 10k memories take 25 minutes; built in one pass they take about a minute. The search figures are of
 * the same index either way. The query's vector comes from a random embedder (the model's own latency is
 * the throughput figure).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../../src/db/create-database.js';
import { repositories } from '../../src/db/schema.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { createLogger } from '../../src/log/logger.js';
import { DrizzleMemoryStore } from '../../src/memory/drizzle-memory-store.js';
import { managerEmbedders, type Embedder } from '../../src/memory/embedder.js';
import { ProjectMemory } from '../../src/memory/project-memory.js';
import { createTestDatabase } from '../helpers/database.js';
import { createServerTestDatabase, TEST_POSTGRES_URL } from '../helpers/postgres-server.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';

const SIZES = (process.env.TANDEM_BENCH_MEMORY_SIZES ?? '10000,100000')
  .split(',')
  .map((s) => Number.parseInt(s, 10))
  .filter((n) => n > 0);
const PGLITE_MAX = Number(process.env.TANDEM_BENCH_MEMORY_PGLITE_MAX ?? 100_000);
const DIMENSIONS = Number(process.env.TANDEM_BENCH_MEMORY_DIMENSIONS ?? 768);
const QUERIES = 40;
const BATCH = 2_000;
const MODEL = 'bench:random';

const log = (line: string): void => {
  process.stderr.write(`  project-memory: ${line}\n`);
};

/** A stand-in embedder: random vectors of the benchmark's width, instantly. */
const randomEmbedder: Embedder = {
  alias: 'bench',
  model: MODEL,
  dimensions: DIMENSIONS,
  embed: (texts) =>
    Promise.resolve(texts.map(() => Array.from({ length: DIMENSIONS }, () => Math.random() - 0.5))),
};

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

/** Fills the database with `total` memories of one repository (in-database generation, batches). */
async function fill(handle: DatabaseHandle, total: number): Promise<number> {
  const [repo] = await handle.db
    .insert(repositories)
    .values({ forge: 'github', owner: 'bench', name: `r${total}` })
    .returning();
  const id = repo!.id;
  await handle.db.execute(
    sql`insert into memory_state (repository_id, embedding_model, dimensions, embedding_alias) values (${id}, ${MODEL}, ${DIMENSIONS}, 'bench')`,
  );
  const width = sql.raw(String(DIMENSIONS));
  const index = `memories_embedding_${DIMENSIONS}`;
  const rows = await handle.db.execute<{ indexdef: string }>(
    sql`select indexdef from pg_indexes where indexname = ${index}`,
  );
  const definition = rows.rows[0]?.indexdef;
  if (definition) {
    await handle.db.execute(sql.raw(`drop index "${index}"`));
  }
  for (let start = 0; start < total; start += BATCH) {
    const end = Math.min(total, start + BATCH) - 1;
    // The subqueries mention g, so they are drawn per row, not once; and i, so their aggregates are theirs.
    await handle.db.execute(sql`
      insert into memories (repository_id, kind, ref, content, embedding, dimensions)
      select ${id}, 'code', 'src/f' || g || '.ts#fn',
        (select string_agg('w' || (floor(random() * 2000) + i * 0 + g * 0)::int, ' ') from generate_series(1, 40) as i),
        (select array_agg(random() - 0.5 + i * 0 + g * 0)::vector(${width}) from generate_series(1, ${DIMENSIONS}) as i),
        ${DIMENSIONS}
      from generate_series(${start}::int, ${end}::int) as g`);
  }
  if (definition) {
    // pgvector builds HNSW fastest when the graph fits in maintenance_work_mem.
    await handle.db.execute(sql.raw(`set maintenance_work_mem = '512MB'`));
    await handle.db.execute(sql.raw(definition));
  }
  return id;
}

/** p50/p95 of hybrid searches, and the table and index sizes. */
async function measure(handle: DatabaseHandle, total: number): Promise<Record<string, number>> {
  const t0 = performance.now();
  const repositoryId = await fill(handle, total);
  const fillMs = performance.now() - t0;
  const memory = new ProjectMemory({
    store: new DrizzleMemoryStore({ db: handle.db }),
    embedders: () => randomEmbedder,
    logger: createLogger({ level: 'silent' }),
  });
  const scope = { repositoryId, enabled: true, embeddingAlias: 'bench' };
  const times: number[] = [];
  let hits = 0;
  for (let q = 0; q < QUERIES + 3; q++) {
    const query = `w${(q * 37) % 2000} w${(q * 91) % 2000} w${(q * 13) % 2000} parse rows`;
    const s = performance.now();
    const result = await memory.search(scope, {
      query,
      limit: 8,
      budgetTokens: 2_000,
      strict: true,
    });
    if (q >= 3) {
      // The first queries warm the caches.
      times.push(performance.now() - s);
      hits += result.hits.length;
    }
  }
  times.sort((a, b) => a - b);
  const sizes = await handle.db.execute<{ table: string; hnsw: string }>(
    sql.raw(
      `select pg_total_relation_size('memories')::text as table,
            pg_relation_size('memories_embedding_${DIMENSIONS}')::text as hnsw`,
    ),
  );
  const row = sizes.rows[0]!;
  return {
    memories: total,
    fillMs: Math.round(fillMs),
    searchP50Ms: Math.round(percentile(times, 50) * 10) / 10,
    searchP95Ms: Math.round(percentile(times, 95) * 10) / 10,
    meanHits: Math.round((hits / QUERIES) * 10) / 10,
    bytesPer1kMemories: Math.round(Number(row.table) / (total / 1_000)),
    hnswBytesPer1kMemories: Math.round(Number(row.hnsw) / (total / 1_000)),
  };
}

/** Embeddings per second of the tiny GGUF, batches of 16 short texts. */
async function tinyThroughput(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-embed-'));
  const gguf = await writeTinyGguf(join(dir, 'tiny.gguf'));
  const catalog = parseModelCatalog(
    JSON.stringify({
      modelsDir: dir,
      models: {
        tiny: {
          provider: 'llama-cpp',
          model: gguf.path,
          contextSize: 512,
          threads: 1,
          kind: 'embedding',
          dimensions: 64,
        },
      },
    }),
    {},
  );
  const manager = new ModelManager({ catalog });
  try {
    const embedder = managerEmbedders(manager)('tiny');
    const texts = Array.from(
      { length: 16 },
      (_, i) => `export function parseRow${i}(line: string)`,
    );
    await embedder.embed(texts); // load the model
    const rounds = 8;
    const s = performance.now();
    for (let r = 0; r < rounds; r++) {
      await embedder.embed(texts.map((t) => `${t} ${r}`));
    }
    const seconds = (performance.now() - s) / 1_000;
    return {
      texts: rounds * texts.length,
      embeddingsPerSecond: Math.round((rounds * 16) / seconds),
    };
  } finally {
    await manager.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export default async function bench(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { dimensions: DIMENSIONS, queries: QUERIES };
  for (const size of SIZES) {
    if (size > PGLITE_MAX) {
      out[`pglite${size}`] = `skipped (TANDEM_BENCH_MEMORY_PGLITE_MAX=${PGLITE_MAX})`;
      continue;
    }
    log(`PGlite, ${size} memories`);
    const handle = await createTestDatabase();
    try {
      out[`pglite${size}`] = await measure(handle, size);
    } finally {
      await handle.close();
    }
  }
  for (const size of SIZES) {
    if (TEST_POSTGRES_URL === undefined) {
      out[`server${size}`] = 'skipped (TANDEM_TEST_POSTGRES_URL is not set)';
      continue;
    }
    log(`PostgreSQL server, ${size} memories`);
    const handle = await createServerTestDatabase();
    try {
      out[`server${size}`] = await measure(handle, size);
    } finally {
      await handle.close();
    }
  }
  log('tiny GGUF embedding throughput');
  out.tinyGguf = await tinyThroughput();
  return out;
}
