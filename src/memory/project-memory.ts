/**
 * `ProjectMemory`: what the workflow, the agents and the operator use to remember and recall things about
 * a repository. It sits on a {@link MemoryStore} and, when the repository's policy names an embedding
 * alias, an {@link Embedder}.
 *
 * - **Writing never fails the caller** ({@link ProjectMemory.remember}): the text is stored first; its
 *   vector follows when the embedding model answers. When it does not (server down, wrong alias, another
 *   model's vectors already stored), the memory waits without a vector, one warning is logged per
 *   repository and cause, and a later write or `tandem memory reembed` embeds the backlog.
 * - **Search is hybrid** ({@link ProjectMemory.search}): full text and vectors each rank candidates,
 *   reciprocal rank fusion merges them (`reciprocal-rank-fusion.ts`), and the results are cut to a token
 *   budget. Without an embedding alias it is full text only, said once in the log per repository.
 * - **One embedding model per repository**: its vectors are compared only with vectors of the same model.
 *   When the policy's alias names another model, searches and writes refuse its vectors with an
 *   `EmbeddingMismatchError` naming both widths and the fix (`tandem memory reembed <owner/repo>`).
 */
import type { RepoPolicy } from '../config/repo-policy.js';
import { EmbeddingMismatchError, TandemError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { Embedder, EmbedderFor } from './embedder.js';
import { fitTokenBudget, estimateTokens } from './fit-token-budget.js';
import type { MemoryStore } from './memory-store.js';
import type {
  ForgetSelector,
  MemoryFilter,
  MemoryKind,
  NewMemory,
  RankedMemory,
  StoredMemory,
} from './memory-types.js';
import { fuseRankings } from './reciprocal-rank-fusion.js';

/** Which repository, whether its memory is on, and which embedding alias it names. */
export interface MemoryScope {
  repositoryId: number;
  /** The policy's `memory.enabled`. */
  enabled: boolean;
  /** The policy's `models.embedding`; absent: full-text only. */
  embeddingAlias?: string;
}

/** The memory scope of a repository under `policy`. */
export function memoryScope(
  repositoryId: number,
  policy: Pick<RepoPolicy, 'memory' | 'models'>,
): MemoryScope {
  return {
    repositoryId,
    enabled: policy.memory.enabled,
    ...(policy.models.embedding === undefined ? {} : { embeddingAlias: policy.models.embedding }),
  };
}

/** A memory to write within a scope (the repository comes from the scope). */
export type MemoryInput = Omit<NewMemory, 'repositoryId'>;

/** What {@link ProjectMemory.remember} did. */
export interface RememberReport {
  /** Memories created or changed (the same memory written again is not counted). */
  written: number;
  /** Memories that got their vector now (written ones and backlog). */
  embedded: number;
  /** False when memory is off for the repository (nothing was written). */
  enabled: boolean;
  /** Why vectors are missing, when they are (also logged once). */
  problem?: string;
}

/** A search request. */
export interface MemorySearchRequest {
  query: string;
  /** Only these kinds (all when absent or empty). */
  kinds?: readonly MemoryKind[];
  /** Only memories written or updated at or after this time. */
  since?: Date;
  /** Only memories whose ref starts with this. */
  refPrefix?: string;
  /** Most results (default 8). */
  limit?: number;
  /** Cut the results to this many tokens of content (headings count {@link HIT_OVERHEAD_TOKENS} each). */
  budgetTokens?: number;
  /** Token count of a text (default: the characters-per-token estimate). */
  countTokens?: (text: string) => number;
  /**
   * Throw instead of falling back to full text when the vector side cannot run (embedding model
   * mismatch, unknown alias, model call failure): what an operator's search wants.
   */
  strict?: boolean;
  signal?: AbortSignal;
}

/** One search result. */
export interface MemoryHit extends StoredMemory {
  /** Reciprocal-rank-fusion score. */
  score: number;
  /** Rank in the full-text and in the vector list (1 = best), null where it was not found. */
  ranks: { text: number | null; vector: number | null };
  /** True when the content was shortened to fit the token budget. */
  truncated: boolean;
}

/** What a search found and how. */
export interface MemorySearchResult {
  hits: MemoryHit[];
  /** `hybrid` (full text + vectors), `text` (full text only) or `off` (memory off for the repository). */
  mode: 'hybrid' | 'text' | 'off';
  /** Why the search was full text only, when an embedding alias is set but could not be used. */
  note?: string;
}

/** What {@link ProjectMemory.reembed} did. */
export interface ReembedReport {
  alias: string;
  model: string;
  dimensions: number;
  /** Memories whose vector was dropped first (all of them with `all`, or those of another model). */
  reset: number;
  embedded: number;
}

/** Tokens a hit's heading adds in a prompt (`### kind ref (date)`). */
export const HIT_OVERHEAD_TOKENS = 16;

/** Candidates each search method contributes before fusion, per result asked for. */
const CANDIDATES_PER_RESULT = 4;
const MIN_CANDIDATES = 24;

/** Memories embedded from the backlog after a write. */
const BACKLOG_PER_WRITE = 32;

/** Memories read per round when embedding a whole backlog. */
const BACKLOG_PAGE = 128;

/** The store filter of a request in a scope. */
function filterOf(
  scope: MemoryScope,
  request: Pick<MemorySearchRequest, 'kinds' | 'since' | 'refPrefix'>,
): MemoryFilter {
  return {
    repositoryId: scope.repositoryId,
    ...(request.kinds ? { kinds: request.kinds } : {}),
    ...(request.since ? { since: request.since } : {}),
    ...(request.refPrefix ? { refPrefix: request.refPrefix } : {}),
  };
}

/** Hits cut to the request's token budget (all of them, whole, without one). */
function budgeted(
  hits: readonly Omit<MemoryHit, 'truncated'>[],
  request: Pick<MemorySearchRequest, 'budgetTokens' | 'countTokens'>,
): MemoryHit[] {
  return request.budgetTokens === undefined
    ? hits.map((h) => ({ ...h, truncated: false }))
    : fitTokenBudget(
        hits,
        request.budgetTokens,
        () => HIT_OVERHEAD_TOKENS,
        request.countTokens ?? estimateTokens,
      );
}

/** Options of {@link ProjectMemory}. */
export interface ProjectMemoryOptions {
  store: MemoryStore;
  /** Embedders by alias (`managerEmbedders(models)`); absent: full text only everywhere. */
  embedders?: EmbedderFor;
  logger: Logger;
}

/** See the module comment. One per process; safe for concurrent use. */
export class ProjectMemory {
  readonly store: MemoryStore;
  private readonly embedders: EmbedderFor | undefined;
  private readonly logger: Logger;
  /** Warnings already logged, by `repository:cause` (cleared when the cause goes away). */
  private readonly warned = new Set<string>();
  /** Aliases last recorded per repository (so the state row is written only on change). */
  private readonly notedAlias = new Map<number, string | null>();

  constructor(options: ProjectMemoryOptions) {
    this.store = options.store;
    this.embedders = options.embedders;
    this.logger = options.logger;
  }

  /**
   * Writes memories of the scope's repository and embeds what changed, plus some of the backlog.
   * Never throws: a failure is logged once per repository and cause and reported in the result.
   */
  async remember(
    scope: MemoryScope,
    inputs: readonly MemoryInput[],
    signal?: AbortSignal,
  ): Promise<RememberReport> {
    if (!scope.enabled) {
      return { written: 0, embedded: 0, enabled: false };
    }
    const { repositoryId } = scope;
    let written = 0;
    try {
      await this.noteAlias(scope);
      const rows = await this.store.upsert(inputs.map((m) => ({ ...m, repositoryId })));
      written = rows.length;
      const embedded = await this.embedBacklog(scope, {
        limit: written + BACKLOG_PER_WRITE,
        signal,
      });
      return { written, embedded, enabled: true };
    } catch (error) {
      const problem = this.warnOnce(repositoryId, error, 'memory: could not remember');
      return { written, embedded: 0, enabled: true, problem };
    }
  }

  /**
   * Embeds memories of the repository that have no vector yet, oldest first, at most `limit` (default:
   * all). Returns how many got one. Without an embedding alias it does nothing.
   * @throws EmbeddingMismatchError when the repository's vectors come from another model; the
   *   embedder's errors (ModelCallError, …)
   */
  async embedBacklog(
    scope: MemoryScope,
    options: { limit?: number; signal?: AbortSignal | undefined } = {},
  ): Promise<number> {
    const embedder = await this.usableEmbedder(scope);
    if (embedder === null) {
      return 0;
    }
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    let done = 0;
    while (done < limit) {
      const rows = await this.store.unembedded(
        scope.repositoryId,
        Math.min(BACKLOG_PAGE, limit - done),
      );
      if (rows.length === 0) {
        break;
      }
      const vectors = await embedder.embed(
        rows.map((r) => r.content),
        { repositoryId: scope.repositoryId, ...(options.signal ? { signal: options.signal } : {}) },
      );
      await this.store.setEmbeddings(
        scope.repositoryId,
        rows.map((r, i) => ({ id: r.id, content: r.content, vector: vectors[i] ?? [] })),
      );
      done += rows.length;
    }
    if (done > 0) {
      this.clearWarnings(scope.repositoryId);
    }
    return done;
  }

  /**
   * Hybrid search of one repository (see the module comment), best first, cut to the token budget.
   * @throws EmbeddingMismatchError, ConfigError or the embedder's errors only with `strict`
   */
  async search(scope: MemoryScope, request: MemorySearchRequest): Promise<MemorySearchResult> {
    if (!scope.enabled) {
      return { hits: [], mode: 'off' };
    }
    const limit = request.limit ?? 8;
    const candidates = Math.max(MIN_CANDIDATES, limit * CANDIDATES_PER_RESULT);
    const filter = filterOf(scope, request);
    const text = await this.store.searchText(filter, request.query, candidates);
    let vector: RankedMemory[] = [];
    let mode: MemorySearchResult['mode'] = 'text';
    let note: string | undefined;
    try {
      const embedder = await this.usableEmbedder(scope);
      if (embedder !== null) {
        const [q] = await embedder.embed([request.query], {
          repositoryId: scope.repositoryId,
          ...(request.signal ? { signal: request.signal } : {}),
        });
        vector = await this.store.searchVector(filter, q ?? [], candidates);
        mode = 'hybrid';
      }
    } catch (error) {
      if (request.strict) {
        throw error;
      }
      note = this.warnOnce(scope.repositoryId, error, 'memory: searching by full text only');
    }
    const byId = new Map<number, RankedMemory>();
    for (const m of [...text, ...vector]) {
      byId.set(m.id, m);
    }
    const fused = fuseRankings([text.map((m) => m.id), vector.map((m) => m.id)])
      .slice(0, limit)
      .flatMap((f) => {
        const m = byId.get(f.key);
        if (m === undefined) {
          return [];
        }
        const { score: _ignored, ...stored } = m;
        return [
          {
            ...stored,
            score: f.score,
            ranks: { text: f.ranks[0] ?? null, vector: f.ranks[1] ?? null },
          },
        ];
      });
    return { hits: budgeted(fused, request), mode, ...(note === undefined ? {} : { note }) };
  }

  /**
   * The newest memories of the repository matching the request's filters (its `query` is ignored), newest
   * first, cut to the token budget: what a ticket's earlier runs and reviews left, the repository's facts.
   */
  async recent(
    scope: MemoryScope,
    request: Omit<MemorySearchRequest, 'query' | 'strict' | 'signal'>,
  ): Promise<MemoryHit[]> {
    if (!scope.enabled) {
      return [];
    }
    const rows = await this.store.recent(filterOf(scope, request), request.limit ?? 8);
    return budgeted(
      rows.map(({ score: _ignored, ...m }) => ({
        ...m,
        score: 0,
        ranks: { text: null, vector: null },
      })),
      request,
    );
  }

  /** Removes memories of a repository (see {@link ForgetSelector}); returns how many went. */
  forget(repositoryId: number, selector: ForgetSelector): Promise<number> {
    return this.store.forget(repositoryId, selector);
  }

  /**
   * Re-embeds a repository with `alias`: every memory whose vector is missing or comes from another
   * model (all of them with `all`) gets a new vector, in batches; `onProgress` hears the count.
   * @throws ConfigError for an unknown or non-embedding alias; the embedder's errors (what was embedded
   *   before the failure is kept, and a second run continues from there)
   */
  async reembed(
    repositoryId: number,
    alias: string,
    options: {
      all?: boolean;
      signal?: AbortSignal;
      onProgress?: (done: number, total: number) => void;
    } = {},
  ): Promise<ReembedReport> {
    if (this.embedders === undefined) {
      throw new TypeError('reembed needs embedders (a model manager)');
    }
    const embedder = this.embedders(alias);
    const state = await this.store.state(repositoryId);
    const target = { model: embedder.model, dimensions: embedder.dimensions };
    const reset =
      options.all === true ||
      (state !== null && state.embeddingModel !== null && state.embeddingModel !== embedder.model)
        ? await this.store.resetEmbeddings(repositoryId, target)
        : 0;
    await this.store.noteEmbeddingAlias(repositoryId, alias);
    this.notedAlias.set(repositoryId, alias);
    const scope: MemoryScope = { repositoryId, enabled: true, embeddingAlias: alias };
    const total = await this.store.countUnembedded(repositoryId);
    let embedded = 0;
    options.onProgress?.(0, total);
    while (embedded < total) {
      const n = await this.embedBacklog(scope, { limit: BACKLOG_PAGE, signal: options.signal });
      if (n === 0) {
        break;
      }
      embedded += n;
      options.onProgress?.(embedded, total);
    }
    return { alias, model: embedder.model, dimensions: embedder.dimensions, reset, embedded };
  }

  /**
   * The embedder of the scope's alias when its model may write and read the repository's vectors; null
   * without an alias (logged once per repository).
   * @throws ConfigError (unknown alias), EmbeddingMismatchError (another model's vectors are stored)
   */
  private async usableEmbedder(scope: MemoryScope): Promise<Embedder | null> {
    if (scope.embeddingAlias === undefined || this.embedders === undefined) {
      const key = `${scope.repositoryId}:no-alias`;
      if (!this.warned.has(key)) {
        this.warned.add(key);
        this.logger.info(
          { repositoryId: scope.repositoryId },
          'memory: no embedding alias (models.embedding): full-text search only',
        );
      }
      return null;
    }
    const embedder = this.embedders(scope.embeddingAlias);
    const state = await this.store.claimEmbeddingModel(
      scope.repositoryId,
      embedder.model,
      embedder.dimensions,
    );
    if (state.embeddingModel !== embedder.model) {
      const stored = { model: state.embeddingModel ?? '', dimensions: state.dimensions ?? 0 };
      throw new EmbeddingMismatchError(
        stored,
        { model: embedder.model, dimensions: embedder.dimensions },
        `the memories of repository ${scope.repositoryId} are embedded by ${stored.model} ` +
          `(${stored.dimensions} dimensions), but its embedding alias "${embedder.alias}" is ` +
          `${embedder.model} (${embedder.dimensions} dimensions): run \`tandem memory reembed ` +
          `<owner/repo>\` to embed them again with "${embedder.alias}"`,
      );
    }
    await this.store.ensureVectorIndex(embedder.dimensions);
    return embedder;
  }

  private async noteAlias(scope: MemoryScope): Promise<void> {
    const alias = scope.embeddingAlias ?? null;
    if (this.notedAlias.get(scope.repositoryId) !== alias) {
      await this.store.noteEmbeddingAlias(scope.repositoryId, alias);
      this.notedAlias.set(scope.repositoryId, alias);
    }
  }

  /** Logs `error` once per repository and error code; returns its message. */
  private warnOnce(repositoryId: number, error: unknown, message: string): string {
    const code = error instanceof TandemError ? error.code : 'error';
    const text = error instanceof Error ? error.message : String(error);
    const key = `${repositoryId}:${code}`;
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.logger.warn({ repositoryId, code, err: text }, message);
    }
    return text;
  }

  private clearWarnings(repositoryId: number): void {
    for (const key of this.warned) {
      if (key.startsWith(`${repositoryId}:`) && !key.endsWith(':no-alias')) {
        this.warned.delete(key);
      }
    }
  }
}
