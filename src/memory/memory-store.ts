/**
 * The `MemoryStore` interface: everything project memory asks of its database, in the style of the
 * `Forge` interface (src/forge/types.ts): one object made of per-concern operation groups that callers
 * pick from, passed in as a parameter. The implementation is `drizzle-memory-store.ts` (PGlite or a
 * PostgreSQL server with pgvector). Vectors are plain `number[]`; widths are checked by the caller
 * (`ProjectMemory`), which also decides what to embed.
 */
import type {
  ForgetSelector,
  MemoryFilter,
  MemoryKind,
  MemoryState,
  NewMemory,
  RankedMemory,
} from './memory-types.js';

/** A memory written (created or changed) by {@link MemoryWriteOperations.upsert}. */
export interface UpsertedMemory {
  id: number;
  kind: MemoryKind;
  ref: string;
  /** True for a new memory, false for one whose content or metadata changed. */
  created: boolean;
  /** True when it still has a vector (only its metadata changed); false: it needs embedding. */
  embedded: boolean;
}

/** A memory waiting for its vector. */
export interface UnembeddedMemory {
  id: number;
  content: string;
}

/** Writing memories and their vectors. */
export interface MemoryWriteOperations {
  /**
   * Inserts or replaces memories by `(repositoryId, kind, ref)` and returns the ones written. A memory
   * written again with the same content and metadata is left alone (and not returned); with new content
   * its vector is dropped; with new metadata only, its vector is kept.
   */
  upsert(memories: readonly NewMemory[]): Promise<UpsertedMemory[]>;
  /**
   * Stores vectors of one width for memories of the repository. A row whose content changed since it was
   * read is skipped when `contents` is given (its vector would describe the old text).
   */
  setEmbeddings(
    repositoryId: number,
    rows: readonly { id: number; vector: readonly number[]; content?: string }[],
  ): Promise<void>;
  /** Memories of the repository without a vector, oldest first. */
  unembedded(repositoryId: number, limit: number): Promise<UnembeddedMemory[]>;
  /** How many memories of the repository have no vector. */
  countUnembedded(repositoryId: number): Promise<number>;
}

/** Searching one repository's memories. */
export interface MemorySearchOperations {
  /**
   * Full-text search: memories matching any word of `query` (English stemming, stop words dropped),
   * best `ts_rank_cd` first. Empty when the query has no searchable word.
   */
  searchText(filter: MemoryFilter, query: string, limit: number): Promise<RankedMemory[]>;
  /** Nearest memories by cosine distance among those whose vectors have the query's width. */
  searchVector(
    filter: MemoryFilter,
    vector: readonly number[],
    limit: number,
  ): Promise<RankedMemory[]>;
  /** The newest memories matching `filter` (by last update), newest first; `score` is 0. */
  recent(filter: MemoryFilter, limit: number): Promise<RankedMemory[]>;
  /** How many memories the repository has, per kind. */
  countByKind(repositoryId: number): Promise<Partial<Record<MemoryKind, number>>>;
}

/** Removing memories. */
export interface MemoryForgetOperations {
  /** Deletes what `selector` names in the repository; returns how many memories went. */
  forget(repositoryId: number, selector: ForgetSelector): Promise<number>;
}

/** Which embedding model a repository's vectors come from. */
export interface MemoryEmbeddingOperations {
  /** The repository's memory state, or null before anything was stored for it. */
  state(repositoryId: number): Promise<MemoryState | null>;
  /**
   * Makes `model` (of `dimensions`) the repository's embedding model when it has none yet, and returns
   * the state after: a caller whose model differs from the returned one must not store its vectors.
   */
  claimEmbeddingModel(
    repositoryId: number,
    model: string,
    dimensions: number,
  ): Promise<MemoryState>;
  /** Records the alias the repository's policy names (null: none). */
  noteEmbeddingAlias(repositoryId: number, alias: string | null): Promise<void>;
  /**
   * Drops every vector of the repository and makes `model` its embedding model (null: none), so that
   * everything is embedded again. Returns how many memories lost their vector.
   */
  resetEmbeddings(
    repositoryId: number,
    model: { model: string; dimensions: number } | null,
  ): Promise<number>;
  /**
   * Creates the partial HNSW index for vectors of `dimensions` when it does not exist (pgvector indexes
   * one width per index). Widths above 2 000 (pgvector's HNSW limit for `vector`) get none: exact search.
   * @returns true when an index exists for that width afterwards
   */
  ensureVectorIndex(dimensions: number): Promise<boolean>;
}

/** The code index of the base branch. */
export interface MemoryCodeIndexOperations {
  /** Hash of each indexed file's content, by path (from its chunks' metadata). */
  codeFileHashes(repositoryId: number): Promise<Map<string, string>>;
  /**
   * Replaces the code memories of `paths` (removed or changed files) by `chunks`, in one transaction.
   * @returns how many code memories were removed and written
   */
  replaceCode(
    repositoryId: number,
    paths: readonly string[],
    chunks: readonly NewMemory[],
  ): Promise<{ removed: number; written: number }>;
  /** Records the commit of the base branch the code index now reflects. */
  setCodeCommit(repositoryId: number, branch: string, commit: string): Promise<void>;
}

/** Everything project memory stores; see the module comment. */
export interface MemoryStore
  extends
    MemoryWriteOperations,
    MemorySearchOperations,
    MemoryForgetOperations,
    MemoryEmbeddingOperations,
    MemoryCodeIndexOperations {}
