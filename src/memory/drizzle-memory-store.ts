/**
 * {@link MemoryStore} on Tandem's database through drizzle: the same SQL on embedded PGlite and on a
 * PostgreSQL server, both with pgvector.
 *
 * Vectors of every width share the untyped `vector` column `memories.embedding`; each row says its width
 * in `dimensions`. pgvector indexes one width per index, so there is one partial HNSW expression index
 * per width (`((embedding::vector(N)) vector_cosine_ops) WHERE dimensions = N`): the approach pgvector's
 * README gives for "vectors with different dimensions in the same column". A vector query names the
 * width as a literal in both the cast and the `WHERE`, so the planner can match the partial index; it
 * runs with `hnsw.iterative_scan = strict_order` (pgvector 0.8) so that filters on repository and kind
 * do not starve the index scan of candidates.
 */
import { and, desc, eq, gte, inArray, isNull, like, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/create-database.js';
import { memories, memoryState } from '../db/schema.js';
import { storableString, toStorableJson } from '../db/storable-json.js';
import type { MemoryStore, UnembeddedMemory, UpsertedMemory } from './memory-store.js';
import {
  MAX_MEMORY_CHARS,
  MemoryKind,
  type ForgetSelector,
  type MemoryFilter,
  type MemoryState,
  type NewMemory,
  type RankedMemory,
} from './memory-types.js';

/** Widest vector pgvector's HNSW index takes for the `vector` type. */
export const MAX_INDEXED_DIMENSIONS = 2_000;

/** Words of a full-text query kept (a long issue text becomes a query of its first distinct words). */
const MAX_QUERY_WORDS = 64;

/** Rows per insert statement (well under PostgreSQL's 65 535 parameters). */
const INSERT_BATCH = 200;

/** Options of {@link DrizzleMemoryStore}. */
export interface DrizzleMemoryStoreOptions {
  db: Database;
}

/** A width as a SQL literal (never a parameter: the partial index predicate must match it). */
function width(dimensions: number): SQL {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 16_000) {
    throw new RangeError(`invalid vector width ${dimensions}`);
  }
  return sql.raw(String(dimensions));
}

/** The first distinct words of `text`, for a full-text query (see {@link MAX_QUERY_WORDS}). */
export function queryWords(text: string): string {
  const seen = new Set<string>();
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []) {
    seen.add(word);
    if (seen.size >= MAX_QUERY_WORDS) {
      break;
    }
  }
  return [...seen].join(' ');
}

const columns = {
  id: memories.id,
  repositoryId: memories.repositoryId,
  kind: memories.kind,
  ref: memories.ref,
  content: memories.content,
  metadata: memories.metadata,
  createdAt: memories.createdAt,
  updatedAt: memories.updatedAt,
};

type Row = {
  id: number;
  repositoryId: number;
  kind: string;
  ref: string;
  content: string;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  score: number;
};

const ranked = (r: Row): RankedMemory => ({
  ...r,
  kind: MemoryKind.parse(r.kind),
  // Timestamps come back as Date from both drivers; PGlite may give strings through raw paths.
  createdAt: new Date(r.createdAt),
  updatedAt: new Date(r.updatedAt),
  score: Number(r.score),
});

/** What names a memory: one row per (repository, kind, ref). */
const MEMORY_NAME = [memories.repositoryId, memories.kind, memories.ref];

/** The `set` of an upsert that replaces a memory's text: new content and metadata, and `vector`. */
function replaced(vector: { embedding: SQL | null; dimensions: SQL | null }) {
  return {
    content: sql`excluded.content`,
    metadata: sql`excluded.metadata`,
    ...vector,
    updatedAt: sql`now()`,
  };
}

/** See the module comment. */
export class DrizzleMemoryStore implements MemoryStore {
  private readonly db: Database;
  /** Widths whose index is known to exist (checked once per process). */
  private readonly indexed = new Map<number, Promise<boolean>>();

  constructor(options: DrizzleMemoryStoreOptions) {
    this.db = options.db;
  }

  async upsert(input: readonly NewMemory[]): Promise<UpsertedMemory[]> {
    // One row per name: the last write of a batch wins (ON CONFLICT cannot touch a row twice).
    const byName = new Map<string, NewMemory>();
    for (const m of input) {
      byName.set(`${m.repositoryId}\u0000${m.kind}\u0000${m.ref}`, m);
    }
    const rows = [...byName.values()].map(toRow);
    const written: UpsertedMemory[] = [];
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      const same = sql`${memories.content} = excluded.content`;
      const out = await this.db
        .insert(memories)
        .values(rows.slice(i, i + INSERT_BATCH))
        .onConflictDoUpdate({
          target: MEMORY_NAME,
          set: replaced({
            embedding: sql`case when ${same} then ${memories.embedding} end`,
            dimensions: sql`case when ${same} then ${memories.dimensions} end`,
          }),
          // Same content and metadata: nothing to write, the row keeps its vector and its time.
          setWhere: sql`${memories.content} is distinct from excluded.content or ${memories.metadata} is distinct from excluded.metadata`,
        })
        .returning({
          id: memories.id,
          kind: memories.kind,
          ref: memories.ref,
          inserted: sql<boolean>`(xmax = 0)`,
          embedded: sql<boolean>`(${memories.embedding} is not null)`,
        });
      for (const r of out) {
        written.push({
          id: r.id,
          kind: MemoryKind.parse(r.kind),
          ref: r.ref,
          created: r.inserted,
          embedded: r.embedded,
        });
      }
    }
    return written;
  }

  async setEmbeddings(
    repositoryId: number,
    rows: readonly { id: number; vector: readonly number[]; content?: string }[],
  ): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    await this.db.transaction(async (tx) => {
      for (const r of rows) {
        await tx
          .update(memories)
          .set({ embedding: [...r.vector], dimensions: r.vector.length })
          .where(
            and(
              eq(memories.id, r.id),
              eq(memories.repositoryId, repositoryId),
              ...(r.content === undefined ? [] : [eq(memories.content, r.content)]),
            ),
          );
      }
    });
  }

  async unembedded(repositoryId: number, limit: number): Promise<UnembeddedMemory[]> {
    return this.db
      .select({ id: memories.id, content: memories.content })
      .from(memories)
      .where(and(eq(memories.repositoryId, repositoryId), isNull(memories.embedding)))
      .orderBy(memories.id)
      .limit(limit);
  }

  async countUnembedded(repositoryId: number): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(memories)
      .where(and(eq(memories.repositoryId, repositoryId), isNull(memories.embedding)));
    return row?.n ?? 0;
  }

  async searchText(filter: MemoryFilter, query: string, limit: number): Promise<RankedMemory[]> {
    const words = queryWords(query);
    if (words === '') {
      return [];
    }
    // Any word may match (OR): plainto_tsquery joins lexemes with AND, which a long text never satisfies.
    const tsquery = sql`replace(plainto_tsquery('english', ${words})::text, '&', '|')::tsquery`;
    const score = sql<number>`ts_rank_cd(${memories.search}, ${tsquery})`;
    const rows = await this.db
      .select({ ...columns, score })
      .from(memories)
      .where(and(...this.conditions(filter), sql`${memories.search} @@ ${tsquery}`))
      .orderBy(desc(score), desc(memories.id))
      .limit(limit);
    return rows.map(ranked);
  }

  async searchVector(
    filter: MemoryFilter,
    vector: readonly number[],
    limit: number,
  ): Promise<RankedMemory[]> {
    const n = width(vector.length);
    const distance = sql`${memories.embedding}::vector(${n}) <=> ${JSON.stringify(vector)}::vector(${n})`;
    return this.db.transaction(async (tx) => {
      // pgvector 0.8: keep scanning the index until `limit` rows pass the filters, in distance order.
      await tx.execute(sql`set local hnsw.iterative_scan = strict_order`);
      const rows = await tx
        .select({ ...columns, score: sql<number>`1 - (${distance})` })
        .from(memories)
        .where(and(...this.conditions(filter), sql`${memories.dimensions} = ${n}`))
        .orderBy(distance, memories.id)
        .limit(limit);
      return rows.map(ranked);
    });
  }

  async recent(filter: MemoryFilter, limit: number): Promise<RankedMemory[]> {
    const rows = await this.db
      .select({ ...columns, score: sql<number>`0` })
      .from(memories)
      .where(and(...this.conditions(filter)))
      .orderBy(desc(memories.updatedAt), desc(memories.id))
      .limit(limit);
    return rows.map(ranked);
  }

  async countByKind(repositoryId: number): Promise<Partial<Record<MemoryKind, number>>> {
    const rows = await this.db
      .select({ kind: memories.kind, n: sql<number>`count(*)::int` })
      .from(memories)
      .where(eq(memories.repositoryId, repositoryId))
      .groupBy(memories.kind);
    return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  }

  async forget(repositoryId: number, selector: ForgetSelector): Promise<number> {
    const where = and(eq(memories.repositoryId, repositoryId), this.selection(selector));
    return this.db.transaction(async (tx) => {
      const gone = await tx.delete(memories).where(where).returning({ id: memories.id });
      if ('all' in selector) {
        // Nothing left to compare with: the next embedding model may be any.
        await tx
          .update(memoryState)
          .set({ embeddingModel: null, dimensions: null, codeCommit: null, updatedAt: sql`now()` })
          .where(eq(memoryState.repositoryId, repositoryId));
      } else if ('kinds' in selector && selector.kinds.includes('code')) {
        await tx
          .update(memoryState)
          .set({ codeCommit: null, updatedAt: sql`now()` })
          .where(eq(memoryState.repositoryId, repositoryId));
      }
      return gone.length;
    });
  }

  async state(repositoryId: number): Promise<MemoryState | null> {
    const [row] = await this.db
      .select()
      .from(memoryState)
      .where(eq(memoryState.repositoryId, repositoryId));
    return row ? toState(row) : null;
  }

  async claimEmbeddingModel(
    repositoryId: number,
    model: string,
    dimensions: number,
  ): Promise<MemoryState> {
    const unclaimed = sql`${memoryState.embeddingModel} is null`;
    const [row] = await this.db
      .insert(memoryState)
      .values({ repositoryId, embeddingModel: model, dimensions })
      .onConflictDoUpdate({
        target: memoryState.repositoryId,
        set: {
          embeddingModel: sql`case when ${unclaimed} then excluded.embedding_model else ${memoryState.embeddingModel} end`,
          dimensions: sql`case when ${unclaimed} then excluded.dimensions else ${memoryState.dimensions} end`,
          updatedAt: sql`now()`,
        },
      })
      .returning();
    if (!row) {
      throw new Error('unreachable: upsert returned no row');
    }
    return toState(row);
  }

  async noteEmbeddingAlias(repositoryId: number, alias: string | null): Promise<void> {
    await this.db
      .insert(memoryState)
      .values({ repositoryId, embeddingAlias: alias })
      .onConflictDoUpdate({
        target: memoryState.repositoryId,
        set: { embeddingAlias: alias, updatedAt: sql`now()` },
        setWhere: sql`${memoryState.embeddingAlias} is distinct from excluded.embedding_alias`,
      });
  }

  async resetEmbeddings(
    repositoryId: number,
    model: { model: string; dimensions: number } | null,
  ): Promise<number> {
    return this.db.transaction(async (tx) => {
      const reset = await tx
        .update(memories)
        .set({ embedding: null, dimensions: null })
        .where(eq(memories.repositoryId, repositoryId))
        .returning({ id: memories.id });
      const values = {
        embeddingModel: model?.model ?? null,
        dimensions: model?.dimensions ?? null,
      };
      await tx
        .insert(memoryState)
        .values({ repositoryId, ...values })
        .onConflictDoUpdate({
          target: memoryState.repositoryId,
          set: { ...values, updatedAt: sql`now()` },
        });
      return reset.length;
    });
  }

  ensureVectorIndex(dimensions: number): Promise<boolean> {
    let done = this.indexed.get(dimensions);
    if (done === undefined) {
      done = this.createVectorIndex(dimensions);
      this.indexed.set(dimensions, done);
      done.catch(() => this.indexed.delete(dimensions));
    }
    return done;
  }

  async codeFileHashes(repositoryId: number): Promise<Map<string, string>> {
    const path = sql<string>`${memories.metadata}->>'path'`;
    const rows = await this.db
      .selectDistinctOn([path], { path, hash: sql<string>`${memories.metadata}->>'fileHash'` })
      .from(memories)
      .where(and(eq(memories.repositoryId, repositoryId), eq(memories.kind, 'code')));
    return new Map(rows.filter((r) => r.path !== null).map((r) => [r.path, r.hash ?? '']));
  }

  async replaceCode(
    repositoryId: number,
    paths: readonly string[],
    chunks: readonly NewMemory[],
  ): Promise<{ removed: number; written: number }> {
    return this.db.transaction(async (tx) => {
      let removed = 0;
      for (let i = 0; i < paths.length; i += INSERT_BATCH) {
        const gone = await tx
          .delete(memories)
          .where(
            and(
              eq(memories.repositoryId, repositoryId),
              eq(memories.kind, 'code'),
              inArray(sql`${memories.metadata}->>'path'`, paths.slice(i, i + INSERT_BATCH)),
            ),
          )
          .returning({ id: memories.id });
        removed += gone.length;
      }
      const rows = chunks.map((c) => toRow({ ...c, repositoryId, kind: 'code' }));
      for (let i = 0; i < rows.length; i += INSERT_BATCH) {
        // A ref seen twice (two files chunked to one name) keeps the last chunk.
        await tx
          .insert(memories)
          .values(rows.slice(i, i + INSERT_BATCH))
          .onConflictDoUpdate({
            target: MEMORY_NAME,
            set: replaced({ embedding: null, dimensions: null }),
          });
      }
      return { removed, written: rows.length };
    });
  }

  async setCodeCommit(repositoryId: number, branch: string, commit: string): Promise<void> {
    await this.db
      .insert(memoryState)
      .values({ repositoryId, codeBranch: branch, codeCommit: commit })
      .onConflictDoUpdate({
        target: memoryState.repositoryId,
        set: { codeBranch: branch, codeCommit: commit, updatedAt: sql`now()` },
      });
  }

  private conditions(filter: MemoryFilter): SQL[] {
    return [
      eq(memories.repositoryId, filter.repositoryId),
      ...(filter.kinds?.length ? [inArray(memories.kind, [...filter.kinds])] : []),
      ...(filter.since ? [gte(memories.updatedAt, filter.since)] : []),
      ...(filter.refPrefix
        ? [like(memories.ref, `${filter.refPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)]
        : []),
    ];
  }

  private selection(selector: ForgetSelector): SQL | undefined {
    if ('all' in selector) {
      return undefined;
    }
    if ('ref' in selector) {
      return eq(memories.ref, selector.ref);
    }
    if ('codePaths' in selector) {
      return and(
        eq(memories.kind, 'code'),
        inArray(sql`${memories.metadata}->>'path'`, [...selector.codePaths]),
      );
    }
    return inArray(memories.kind, [...selector.kinds]);
  }

  private async createVectorIndex(dimensions: number): Promise<boolean> {
    if (dimensions > MAX_INDEXED_DIMENSIONS) {
      return false;
    }
    const n = width(dimensions);
    const name = sql.raw(`memories_embedding_${dimensions}`);
    try {
      await this.db.execute(
        sql`create index if not exists ${name} on memories using hnsw ((embedding::vector(${n})) vector_cosine_ops) where dimensions = ${n}`,
      );
    } catch (error) {
      // Another process created it at the same moment: `IF NOT EXISTS` does not cover that race.
      const code = (error as { code?: unknown }).code;
      if (code !== '42P07' && code !== '23505') {
        throw error;
      }
    }
    return true;
  }
}

/**
 * The row of a memory: ref and content cut to their limits and made storable (PostgreSQL text refuses
 * NUL, and a cut may split a surrogate pair: both become U+FFFD, as in `storable-json.ts`).
 */
function toRow(m: NewMemory) {
  return {
    repositoryId: m.repositoryId,
    kind: m.kind,
    ref: storableString(m.ref.slice(0, 500)),
    content: storableString(m.content.slice(0, MAX_MEMORY_CHARS)),
    metadata: toStorableJson(m.metadata ?? {}),
  };
}

function toState(row: typeof memoryState.$inferSelect): MemoryState {
  return {
    repositoryId: row.repositoryId,
    embeddingModel: row.embeddingModel,
    dimensions: row.dimensions,
    embeddingAlias: row.embeddingAlias,
    codeBranch: row.codeBranch,
    codeCommit: row.codeCommit,
  };
}
