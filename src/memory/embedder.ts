/**
 * Embedding calls for project memory, through the `ModelManager` that owns the providers: the alias's
 * concurrency slot (lowest priority, so agents' calls go first), its circuit breaker, retries of transient
 * failures with the manager's backoff, a wall-clock limit per attempt, and one `model_calls` row per
 * attempt (role `embedding`, cost from the catalog's input price). Texts are sent in batches and cut to
 * what the alias's context can take.
 */
import {
  ConfigError,
  ModelCallAbortedError,
  ModelCallError,
  TandemError,
} from '../errors/index.js';
import type { ModelEntry } from '../llm/catalog.js';
import type { ModelManager } from '../llm/model-manager.js';
import type { ModelCallOutcome } from '../llm/model-call-recorder.js';

/** Turns texts into vectors of one model. */
export interface Embedder {
  /** The catalog alias. */
  readonly alias: string;
  /** `<provider>:<model>`: what stored vectors are compared by (two aliases of one model share it). */
  readonly model: string;
  /** Width of every vector it returns. */
  readonly dimensions: number;
  /**
   * One vector per text, in order.
   * @throws ModelCallError, CircuitOpenError, ModelCallAbortedError, EmbeddingMismatchError
   */
  embed(
    texts: readonly string[],
    options?: { repositoryId?: number; signal?: AbortSignal },
  ): Promise<number[][]>;
}

/** The embedder of a catalog alias. @throws ConfigError when the alias is unknown or not `kind: embedding` */
export type EmbedderFor = (alias: string) => Embedder;

/** Texts per provider call. */
export const EMBED_BATCH = 32;

/** Characters of one text sent to the model: about two per token of its context (code is dense). */
export function maxEmbedChars(entry: ModelEntry): number {
  return entry.contextSize * 2;
}

/** Priority of embedding calls when they wait for a slot (BullMQ convention: 10 is the lowest). */
const EMBED_PRIORITY = 10;

/**
 * Embedders over `manager`'s providers (one per alias, made on first use).
 * @throws ConfigError from the returned function for an unknown or non-embedding alias
 */
export function managerEmbedders(manager: ModelManager): EmbedderFor {
  const made = new Map<string, Embedder>();
  return (alias) => {
    let e = made.get(alias);
    if (e === undefined) {
      e = new ManagerEmbedder(manager, alias);
      made.set(alias, e);
    }
    return e;
  };
}

class ManagerEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  private readonly entry: ModelEntry;

  constructor(
    private readonly manager: ModelManager,
    readonly alias: string,
  ) {
    const entry = manager.entry(alias);
    if (entry.kind !== 'embedding' || entry.dimensions === undefined) {
      throw new ConfigError('models policy', [
        { path: 'models.embedding', message: `model alias "${alias}" is not kind: embedding` },
      ]);
    }
    this.entry = entry;
    this.model = `${entry.provider}:${entry.model}`;
    this.dimensions = entry.dimensions;
  }

  async embed(
    texts: readonly string[],
    options: { repositoryId?: number; signal?: AbortSignal } = {},
  ): Promise<number[][]> {
    const limit = maxEmbedChars(this.entry);
    const cut = texts.map((t) => (t.length > limit ? t.slice(0, limit) : t));
    const out: number[][] = [];
    for (let i = 0; i < cut.length; i += EMBED_BATCH) {
      out.push(...(await this.batch(cut.slice(i, i + EMBED_BATCH), options)));
    }
    return out;
  }

  private async batch(
    texts: readonly string[],
    options: { repositoryId?: number; signal?: AbortSignal },
  ): Promise<number[][]> {
    const m = this.manager;
    const { signal } = options;
    const provider = await m.provider(this.alias);
    const breaker = m.breaker(this.alias);
    if (provider.embed === undefined) {
      throw new ModelCallError(this.alias, 'this provider cannot embed', false);
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        breaker.before();
      } catch (error) {
        await this.record('circuit_open', 0, 0, options.repositoryId, error);
        throw error;
      }
      const timeout = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      let release: (() => void) | undefined;
      try {
        release = await m.gate.acquire(this.alias, {
          priority: EMBED_PRIORITY,
          ...(signal ? { signal } : {}),
        });
        timer = setTimeout(() => timeout.abort(), this.entry.timeoutSeconds * 1_000);
        const result = await provider.embed(
          texts,
          signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal,
        );
        breaker.success();
        await this.record('ok', result.inputTokens, result.latencyMs, options.repositoryId);
        return result.vectors;
      } catch (raw) {
        const error =
          raw instanceof ModelCallAbortedError && timeout.signal.aborted && !signal?.aborted
            ? new ModelCallError(
                this.alias,
                `timed out after ${this.entry.timeoutSeconds} s`,
                true,
                undefined,
                { cause: raw },
              )
            : raw;
        if (error instanceof ModelCallAbortedError) {
          breaker.neutral();
          await this.record('aborted', 0, 0, options.repositoryId, error);
          throw error;
        }
        breaker.failure();
        await this.record('error', 0, 0, options.repositoryId, error);
        const transient = error instanceof ModelCallError && error.transient;
        if (!transient || attempt >= m.retry.attempts) {
          throw error;
        }
        const delay = Math.min(m.retry.maxDelayMs, m.retry.baseDelayMs * 2 ** (attempt - 1));
        await m.sleep(delay * (0.5 + m.random() / 2), signal);
      } finally {
        clearTimeout(timer);
        release?.();
      }
    }
  }

  private async record(
    outcome: ModelCallOutcome,
    inputTokens: number,
    latencyMs: number,
    repositoryId: number | undefined,
    error?: unknown,
  ): Promise<void> {
    await this.manager.recorder?.record({
      alias: this.alias,
      provider: this.entry.provider,
      model: this.entry.model,
      role: 'embedding',
      ...(repositoryId === undefined ? {} : { repositoryId }),
      inputTokens,
      outputTokens: 0,
      latencyMs,
      costUsd: (inputTokens * this.entry.priceInPerMTok) / 1_000_000,
      outcome,
      ...(error instanceof TandemError ? { errorCode: error.code } : {}),
    });
  }
}
